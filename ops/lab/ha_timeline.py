# The steps of a takeover in time, seconds after the kill: gw2's log lines that mark them and, from the capture on the
# inet bridge, the first VRRP advert of gw2's gateway (keepalived there became MASTER: the virtual address moved).
# A takeover whose gap is longer than it should be says with this which step was late.
#
#   python3 ha_timeline.py WORK KILLED [GW2_ADDRESS]   ->  "active:+1.40,host:+1.40,...,vrrp:+1.12"
#   python3 ha_timeline.py --old-spi WORK KILLED PEER PING  ->  "old_spi=0x...,old_after_install=N,old_replies=M,..."
#
# Used by ha-pair-scenarios.sh (--rekey, --tunnels); imported by its tunnels summary.
import datetime
import os
import re
import subprocess
import sys

MARKS = [("active", "is active, lease epoch"), ("host", "tunnel host: active"),
         ("entities", "tunnel entit(ies) running"), ("recovered", "recovered with IKE SAs"),
         ("installed", "Child SA installed"), ("resume", "resuming IKE SA"), ("anew", "negotiating anew")]


def log_marks(work, killed):
    """{key: [seconds after the kill, ...]} of gw2's log lines that mark a takeover step."""
    seen = {}
    try:
        with open(os.path.join(work, "gw2.log"), errors="replace") as log:
            for line in log:
                m = re.match(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+[-+Z][0-9:]*) ", line)
                if not m:
                    continue
                t = datetime.datetime.fromisoformat(m.group(1).replace("Z", "+00:00")).timestamp()
                if t < killed:
                    continue
                for key, text in MARKS:
                    if text in line:
                        seen.setdefault(key, []).append(t - killed)
    except OSError:
        pass
    return seen


def capture_fields(work, display_filter, fields, timeout):
    """The FIELDS of each packet of the lab's capture (WORK/wire.pcap) that DISPLAY_FILTER keeps, a list per packet,
    in capture order; None when tshark cannot be run."""
    command = ["tshark", "-r", os.path.join(work, "wire.pcap"), "-Y", display_filter, "-T", "fields"]
    for field in fields:
        command += ["-e", field]
    try:
        out = subprocess.run(command, capture_output=True, text=True, timeout=timeout).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return [line.split("\t") for line in out.split("\n") if line]


def reply_times(path):
    """The times (epoch) of the echo replies in a `ping -D` output file, sorted, each once; [] if it cannot be read."""
    try:
        with open(path, errors="replace") as f:
            return sorted({float(t) for t in re.findall(r"\[(\d+\.\d+)\] \d+ bytes from", f.read())})
    except OSError:
        return []


def vrrp_master(work, killed, address):
    """Seconds from the kill to the first VRRP advert from ADDRESS in the capture, or None."""
    rows = capture_fields(work, "vrrp && ip.src == %s && frame.time_epoch > %f" % (address, killed),
                          ["frame.time_epoch"], 60)
    try:
        return float(rows[0][0]) - killed if rows else None
    except ValueError:
        return None


def timeline(work, killed, address=None):
    seen = log_marks(work, killed)
    tl = []
    for key, _ in MARKS:
        ts = seen.get(key, [])
        if len(ts) == 1:
            tl.append("%s:+%.2f" % (key, ts[0]))
        elif ts:
            tl.append("%s:+%.2f..+%.2f(%d)" % (key, ts[0], ts[-1], len(ts)))
    if address:
        v = vrrp_master(work, killed, address)
        tl.append("vrrp:+%.2f" % v if v is not None else "vrrp:none")
    return ",".join(tl) or "none"


def old_spi(work, killed, peer, ping):
    """After a takeover between our Child SA rekey and our Delete of the old Child SA (--rekey ours-delete): the peer
    (PEER, strongSwan) sends on the old SPI until that Delete reaches it. From the capture: the SPI the peer sent on
    at the kill, how many of its ESP packets on it came after gw2's first "Child SA installed", and when it first
    sent on another SPI (s after the kill); from the ping file PING: the replies that arrived between that install
    and that switch — only the old SPI carried them, so gw2 accepted ESP on it. "old_spi=...,old_after_install=N,
    old_replies=M,old_switch=+S" (old_replies=0: gw2 dropped them)."""
    rows = capture_fields(work, "esp && ip.src == %s" % peer, ["frame.time_epoch", "esp.spi"], 120)
    if rows is None:
        return "old_spi=none"
    esp = [(float(t), spi) for t, spi in (row for row in rows if len(row) == 2)]
    before = [spi for t, spi in esp if t < killed]
    installed = log_marks(work, killed).get("installed")
    if not before or not installed:
        return "old_spi=none"
    old, since = before[-1], killed + installed[0]
    switch = next((t for t, spi in esp if t > killed and spi != old), None)
    after = sum(1 for t, spi in esp if spi == old and t > since)
    replies = sum(1 for t in reply_times(ping) if since < t < (switch if switch else float("inf")))
    return "old_spi=%s,old_after_install=%d,old_replies=%d,old_switch=%s" % (
        old, after, replies, "+%.2f" % (switch - killed) if switch else "none")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--old-spi":
        print(old_spi(sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]))
    else:
        print(timeline(sys.argv[1], float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
