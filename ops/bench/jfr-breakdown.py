#!/usr/bin/python3
"""Where a Palisade node's time and allocation go, from a JFR recording (used by ops/bench/ike-setup.sh).

    ops/bench/jfr-breakdown.py RECORDING.jfr [JAVA_HOME [SETUPS]]

Each CPU sample (jdk.ExecutionSample) and allocation sample (jdk.ObjectAllocationSample, by weight) is put in the
first category any frame of its stack belongs to, in the order below (so the journal's own H2 work counts as journal
even when an actor triggered it), and young-GC pauses are summed. Samples only cover threads running Java code:
JIT compiler threads and GC threads are not in them (see the GC line and `jfr view thread-cpu-load`).
"""
import collections
import json
import os
import subprocess
import sys

CATEGORIES = [
    ("journal: H2 (inserts, MVStore commits)", ("org.h2",)),
    ("journal: pekko-persistence-jdbc, Slick, Hikari, CBOR",
     ("pekko.persistence.jdbc", "com.zaxxer", "jackson", "slick", "jdbc")),
    ("tunnel entities (event sourcing, replies)", ("pekko.persistence", "net.palisade.controlplane.tunnel")),
    ("logging", ("ch.qos.logback", "org.slf4j")),
    ("IKE datagrams out (sendto on the dataplane's UDP socket)", ("net.palisade.dataplane.Dataplane.sendIke",)),
    ("dataplane install/remove (SA tables, routes)", ("net.palisade.dataplane",)),
    ("key exchange: X25519 (Bouncy Castle)", ("org.bouncycastle",)),
    ("JCE: PRF/HMAC, AES-GCM of IKE messages, SecureRandom", ("sun.security", "javax.crypto", "com.sun.crypto")),
    ("IKE engine and codec (rest)", ("net.palisade.controlplane.ike", "net.palisade.model.wire")),
    ("control plane (rest)", ("net.palisade",)),
    ("pekko (actors, dispatch)", ("org.apache.pekko", "scala.")),
]


def events(jfr, recording, kind):
    out = subprocess.run([jfr, "print", "--json", "--stack-depth", "64", "--events", kind, recording],
                         check=True, capture_output=True, text=True).stdout
    return json.loads(out)["recording"]["events"]


def frames(e):
    st = e["values"].get("stackTrace") or {}
    return [f["method"]["type"]["name"].replace("/", ".") + "." + f["method"]["name"] for f in (st.get("frames") or [])]


def ms(v):
    """A JFR duration (a number of ns, or an ISO string like "PT0.095S") in milliseconds."""
    if isinstance(v, (int, float)):
        return v / 1e6
    return float(str(v).removeprefix("PT").removesuffix("S")) * 1000


def category(fs):
    for name, prefixes in CATEGORIES:
        if any(p in f for f in fs for p in prefixes):
            return name
    return "other"


def main():
    recording = sys.argv[1]
    java_home = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("JAVA_HOME", "/usr/lib/jvm/temurin-25-jdk-amd64")
    jfr = os.path.join(java_home, "bin", "jfr")
    cpu = collections.Counter(category(frames(e)) for e in events(jfr, recording, "jdk.ExecutionSample"))
    alloc = collections.Counter()
    for e in events(jfr, recording, "jdk.ObjectAllocationSample"):
        alloc[category(frames(e))] += e["values"]["weight"]
    pauses = [e["values"]["sumOfPauses"] for e in events(jfr, recording, "jdk.GarbageCollection")]
    n_cpu, n_alloc = sum(cpu.values()) or 1, sum(alloc.values()) or 1
    print(f"{'category':55} {'CPU samples':>12} {'allocation':>11}")
    for name in [c for c, _ in CATEGORIES] + ["other"]:
        print(f"{name:55} {cpu[name] * 100 / n_cpu:11.1f}% {alloc[name] * 100 / n_alloc:10.1f}%")
    print(f"({sum(cpu.values())} CPU samples)")
    if len(sys.argv) > 3:  # SETUPS: the same per 1,000 setups, to compare runs of different rates
        setups = int(sys.argv[3])
        print("CPU samples per 1,000 setups: " + ", ".join(
            f"{name.split(' (')[0]} {cpu[name] * 1000 / setups:.0f}" for name in [c for c, _ in CATEGORIES] + ["other"])
            + f"; all {sum(cpu.values()) * 1000 / setups:.0f}")

    if pauses:
        p = sorted(ms(v) for v in pauses)
        print(f"GC: {len(p)} collections, pauses total {sum(p):.0f} ms, longest {p[-1]:.0f} ms")
    waits = collections.Counter()
    counts = collections.Counter()
    for e in events(jfr, recording, "jdk.JavaMonitorEnter"):
        fs = frames(e)
        key = fs[0] if fs else e["values"]["monitorClass"]["name"]
        waits[key] += ms(e["values"]["duration"])
        counts[key] += 1
    for key, total in waits.most_common(3):
        print(f"lock waits (JFR records waits of 10 ms or more): {key}: {counts[key]} waits, {total:.0f} ms in total")


if __name__ == "__main__":
    main()
