# The steps of a takeover in time, seconds after the kill: gw2's log lines that mark them and, from the capture on the
# inet bridge, the first VRRP advert of gw2's gateway (keepalived there became MASTER: the virtual address moved).
# A takeover whose gap is longer than it should be says with this which step was late.
#
#   python3 ha_timeline.py WORK KILLED [GW2_ADDRESS]   ->  "active:+1.40,host:+1.40,...,vrrp:+1.12"
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


if __name__ == "__main__":
    print(timeline(sys.argv[1], float(sys.argv[2]), sys.argv[3] if len(sys.argv) > 3 else None))
