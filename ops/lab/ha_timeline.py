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


def vrrp_master(work, killed, address):
    """Seconds from the kill to the first VRRP advert from ADDRESS in the capture, or None."""
    try:
        out = subprocess.run(["tshark", "-r", os.path.join(work, "wire.pcap"), "-Y",
                              "vrrp && ip.src == %s && frame.time_epoch > %f" % (address, killed),
                              "-T", "fields", "-e", "frame.time_epoch"],
                             capture_output=True, text=True, timeout=60).stdout.split()
        return float(out[0]) - killed if out else None
    except (OSError, ValueError, subprocess.SubprocessError):
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
    try:
        out = subprocess.run(["tshark", "-r", os.path.join(work, "wire.pcap"), "-Y",
                              "esp && ip.src == %s" % peer, "-T", "fields", "-e", "frame.time_epoch", "-e", "esp.spi"],
                             capture_output=True, text=True, timeout=120).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "old_spi=none"
    esp = [(float(t), spi) for t, spi in (line.split("\t") for line in out if "\t" in line)]
    before = [spi for t, spi in esp if t < killed]
    installed = log_marks(work, killed).get("installed")
    if not before or not installed:
        return "old_spi=none"
    old, since = before[-1], killed + installed[0]
    switch = next((t for t, spi in esp if t > killed and spi != old), None)
    after = sum(1 for t, spi in esp if spi == old and t > since)
    replies = 0
    try:
        with open(ping, errors="replace") as f:
            for line in f:
                m = re.match(r"\[(\d+\.\d+)\] \d+ bytes from", line)
                if m and since < float(m.group(1)) < (switch if switch else float("inf")):
                    replies += 1
    except OSError:
        pass
    return "old_spi=%s,old_after_install=%d,old_replies=%d,old_switch=%s" % (
        old, after, replies, "+%.2f" % (switch - killed) if switch else "none")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--old-spi":
        print(old_spi(sys.argv[2], float(sys.argv[3]), sys.argv[4], sys.argv[5]))
    else:
        print(timeline(sys.argv[1], float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
