#!/usr/bin/env python3
"""CPU of a JVM's threads between two snapshots of /proc/PID/task/*/stat, grouped by what the threads do, in µs per
setup: ops/bench/thread-cpu.py BEFORE AFTER NAMES SETUPS. A snapshot is the concatenated stat lines of the process's
tasks; NAMES is `jcmd PID Thread.print` (the kernel keeps only 15 characters of a name; an empty file: those are
used). Threads that started or ended between the snapshots count from 0 / are missing (their last ticks are lost)."""
import re
import sys

HZ = 100
GROUPS = [  # (regular expression on the full name, group), first match wins
    (r"CompilerThre", "JIT compiler threads (C1/C2)"),
    (r"^(GC |G1 )|Conc", "GC threads"),
    (r"ike-session-dispatcher", "IKE session actors (palisade.ike-session-dispatcher)"),
    (r"^db-\d+", "H2 journal writer (db-N)"),
    (r"^palisade-ike-outcomes", "IKE outcome lane (palisade-ike-outcomes)"),
    (r"^palisade-dp-.*-control", "dataplane control thread"),
    (r"^palisade-dp-.*-w\d+", "dataplane workers"),
    (r"persistence|pekko\.actor\.default-dispatcher|internal-dispatcher", "Pekko: persistence and default dispatchers"),
    (r"^palisade-ike-dispatch", "IKE dispatch (palisade-ike-dispatch)"),
    (r"^palisade-checkpoints", "state checkpoints"),
    (r"^palisade-ike-\d+", "UDP receive (palisade-ike-PORT)"),
    (r"^palisade-journal-group-commit", "group-commit timer"),
]


def read(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            tid = int(line.split(" ", 1)[0])
            name = line[line.index("(") + 1:line.rindex(")")]
            rest = line[line.rindex(")") + 2:].split(" ")
            out[tid] = (name, int(rest[11]) + int(rest[12]))
    return out


def names(path):
    """tid -> full name from `jcmd Thread.print`: lines like "name" #12 [4711] ... nid=0x1267 ..."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                m = re.match(r'^"(.*)" .*?nid=(0x[0-9a-f]+|\d+)', line)
                if m:
                    nid = m.group(2)
                    out[int(nid, 16) if nid.startswith("0x") else int(nid)] = m.group(1)
    except OSError:
        pass
    return out


def group(name):
    for pattern, g in GROUPS:
        if re.search(pattern, name):
            return g
    return re.sub(r"[-#]?\d+$", "-N", name)


def main():
    before, after, full, setups = read(sys.argv[1]), read(sys.argv[2]), names(sys.argv[3]), float(sys.argv[4])
    groups = {}
    for tid, (name, ticks) in after.items():
        d = ticks - before.get(tid, (name, 0))[1]
        g = group(full.get(tid, name))
        groups[g] = groups.get(g, 0) + d
    total = sum(groups.values())
    print("| thread group | µs per setup | share |")
    print("|---|---:|---:|")
    for g, d in sorted(groups.items(), key=lambda kv: -kv[1]):
        if d == 0:
            continue
        print("| %s | %.0f | %.0f %% |" % (g, d * 1e6 / HZ / setups, 100.0 * d / total if total else 0))
    print("| all threads | %.0f | |" % (total * 1e6 / HZ / setups))


if __name__ == "__main__":
    main()
