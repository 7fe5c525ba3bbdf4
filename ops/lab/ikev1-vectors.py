#!/usr/bin/python3
"""Turns one IKEv1 run of two strongSwan daemons into a JSON key-derivation fixture (called by ikev1-vectors.sh).

Wire values (cookies, nonces, KE values, SA payload, SPIs, message ID, ciphertext) come from the capture, read by
tshark, which also decrypts the encrypted messages with strongSwan's encryption key; derived values (g^xy, SKEYID*,
Ka, IVs, HASH_I/HASH_R, KEYMAT) come from charon's debug log (ike = 4, chd = 4). Nothing is computed here: the
script only cross-checks that the log and the capture agree (the same bytes where both show them, both daemons
derived the same keys), and fails loudly when they do not.

usage: ikev1-vectors.py CASE_JSON INITIATOR_LOG RESPONDER_LOG PCAP OUT_JSON
  CASE_JSON: the case's description as the shell script writes it (name, exchange, proposals, psk, ...)
       ikev1-vectors.py check LOG PCAP
  tshark's verdict on a capture of one IKEv1 SA: decrypts it with the Ka of LOG (a charon log at ike = 4), prints
  one line per ISAKMP message and fails when one is malformed or does not decrypt (ikev1-strongswan-pair.sh)
"""
import json
import re
import subprocess
import sys

# strongSwan's keywords for the quick mode PFS groups the cases use, in the names phase 1 uses
GROUPS = {"modp1536": "MODP-1536", "modp2048": "MODP-2048", "ecp256": "ECP-256"}
HEADER = re.compile(r"^\S+ (\d+)\[(\w+)\] (.+?) => (\d+) bytes @ 0x[0-9a-f]+$")
DUMP = re.compile(r"^\S+ (\d+)\[(\w+)\]\s+(\d+): (.*)$")


def fail(msg):
    sys.exit("ikev1-vectors.py: " + msg)


def dumps(log_path):
    """Every %B dump of a charon log: a list of (label, hex) in log order."""
    lines = open(log_path, encoding="utf-8", errors="replace").read().splitlines()
    out = []
    for i, line in enumerate(lines):
        m = HEADER.match(line)
        if not m:
            continue
        thread, group, label, size = m.group(1), m.group(2), m.group(3), int(m.group(4))
        data = ""
        j = i + 1
        while len(data) < 2 * size and j < len(lines):
            d = DUMP.match(lines[j])
            j += 1
            # other threads' lines may come between: a dump line is this thread's, same group, next offset
            if not d or d.group(1) != thread or d.group(2) != group or int(d.group(3)) != len(data) // 2:
                continue
            n = min(16, size - len(data) // 2)
            data += d.group(4)[:3 * n].replace(" ", "").lower()
        if len(data) != 2 * size:
            fail(f"{log_path}: dump '{label}' at line {i + 1} is incomplete")
        out.append((label, data))
    return out


def first(dump_list, label, log):
    for lab, data in dump_list:
        if lab == label:
            return data
    fail(f"{log}: no '{label}' dump (is the log level ike = 4, chd = 4?)")


def all_of(dump_list, label):
    return [data for lab, data in dump_list if lab == label]


def tshark_packets(pcap, cky_i=None, ka=None):
    fields = ["frame.number", "ip.src", "udp.srcport", "udp.payload", "isakmp.ispi", "isakmp.rspi",
              "isakmp.exchangetype", "isakmp.messageid", "isakmp.flag_e", "isakmp.nonce",
              "isakmp.key_exchange.data", "isakmp.spisize", "isakmp.spi", "isakmp.hash", "_ws.malformed",
              "_ws.expert.severity"]
    cmd = ["tshark", "-r", pcap, "-T", "json"]
    if cky_i:
        cmd += ["-o", f"uat:ikev1_decryption_table:{cky_i},{ka}"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [p["_source"]["layers"] for p in json.loads(out)]


def one(p, field):
    v = p.get(field)
    return v[0] if v else None


def isakmp_bytes(p):
    """The ISAKMP message of a packet: the UDP payload without the non-ESP marker of port 4500."""
    raw = one(p, "udp.payload") or ""
    if one(p, "udp.srcport") == "4500" and raw.startswith("00000000"):
        raw = raw[8:]
    return raw


def check(log, pcap):
    ka = first(dumps(log), "encryption key Ka", log)
    plain = [p for p in tshark_packets(pcap) if len(isakmp_bytes(p)) >= 56]
    if not plain:
        fail("no ISAKMP messages in the capture")
    cky_i = one(plain[0], "isakmp.ispi")
    repeated = repeats(plain)
    cmd = ["tshark", "-r", pcap, "-o", f"uat:ikev1_decryption_table:{cky_i},{ka}", "-Y", "isakmp", "-T", "fields",
           "-e", "frame.number", "-e", "isakmp.flag_e", "-e", "_ws.malformed", "-e", "isakmp.typepayload",
           "-e", "_ws.col.Info"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    bad = 0
    for line in out.splitlines():
        frame, encrypted, malformed, payloads, info = (line.split("\t") + [""] * 5)[:5]
        verdict = "ok"
        if frame in repeated:
            verdict = f"retransmission of frame {repeated[frame]} (not judged)"
        elif malformed:
            verdict = "MALFORMED"
        elif not payloads:
            verdict = "NOT DECRYPTED" if encrypted in ("1", "True") else "NO PAYLOADS"
        print(f"frame {frame}: {verdict}: {info}, payload types {payloads}{' (decrypted)' if encrypted == '1' else ''}")
        bad += verdict in ("MALFORMED", "NOT DECRYPTED", "NO PAYLOADS")
    if bad:
        fail(f"{bad} ISAKMP message(s) tshark could not dissect")


def repeats(packets):
    """Frames whose ISAKMP bytes repeat an earlier frame's: retransmissions, {frame: first frame}. tshark's IKEv1
    decryption chains IVs across messages, so a byte-identical repeat decrypts with the wrong IV and shows as
    malformed; it says nothing about the wire format, and it is no new message of the exchange."""
    seen, out = {}, {}
    for p in packets:
        raw = isakmp_bytes(p)
        if raw in seen:
            out[one(p, "frame.number")] = seen[raw]
        else:
            seen[raw] = one(p, "frame.number")
    return out


def main():
    if sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3])
        return
    case_path, ilog, rlog, pcap, out_path = sys.argv[1:6]
    case = json.load(open(case_path))
    di, dr = dumps(ilog), dumps(rlog)

    # both daemons must have derived the same phase-1 keys
    labels = ["shared Diffie Hellman secret", "SKEYID", "SKEYID_d", "SKEYID_a", "SKEYID_e", "encryption key Ka",
              "initial IV"]
    p1 = {}
    for label in labels:
        a, b = first(di, label, ilog), first(dr, label, rlog)
        if a != b:
            fail(f"initiator and responder logged different '{label}'")
        p1[label] = a

    packets = [p for p in tshark_packets(pcap) if len(isakmp_bytes(p)) >= 56]
    phase1 = [p for p in packets if one(p, "isakmp.exchangetype") in ("2", "4")]
    if not phase1:
        fail("no phase-1 messages in the capture")
    cky_i = one(phase1[0], "isakmp.ispi")
    cky_r = next(one(p, "isakmp.rspi") for p in phase1 if one(p, "isakmp.rspi") != "0" * 16)
    initiator_ip = one(phase1[0], "ip.src")

    # decrypt with strongSwan's Ka: tshark computes the IVs itself, so a wrong Ka or IV shows as malformed
    packets = [p for p in tshark_packets(pcap, cky_i, p1["encryption key Ka"]) if len(isakmp_bytes(p)) >= 56]
    repeated = repeats(packets)
    packets = [p for p in packets if one(p, "frame.number") not in repeated]
    for p in packets:
        if "_ws.malformed" in p:
            fail(f"tshark: frame {one(p, 'frame.number')} is malformed after decryption")
    phase1 = [p for p in packets if one(p, "isakmp.exchangetype") in ("2", "4")]
    quick = [p for p in packets if one(p, "isakmp.exchangetype") == "32"]

    nonces = [one(p, "isakmp.nonce") for p in phase1 if one(p, "isakmp.nonce")]
    kes = [one(p, "isakmp.key_exchange.data") for p in phase1 if one(p, "isakmp.key_exchange.data")]
    if len(nonces) < 2 or len(kes) < 2:
        fail("phase 1 nonces or KE values missing from the capture")
    ni, nr, g_xi, g_xr = nonces[0], nonces[1], kes[0], kes[1]

    # SAi_b: the body of the initiator's first SA payload (after its 4-byte generic header)
    msg1 = isakmp_bytes(phase1[0])
    if msg1[32:34] != "01":
        fail("the first message does not start with an SA payload")
    sa_len = int(msg1[56 + 4:56 + 8], 16)
    sa_i_b = msg1[56 + 8:56 + 2 * sa_len]

    hash_i_data = first(di, "HASH_I data", ilog)
    hash_r_data = first(di, "HASH_R data", ilog)
    prefix_i = g_xi + g_xr + cky_i + cky_r + sa_i_b
    prefix_r = g_xr + g_xi + cky_r + cky_i + sa_i_b
    if not hash_i_data.startswith(prefix_i) or not hash_r_data.startswith(prefix_r):
        fail("HASH_I/HASH_R data in the log do not start with the capture's g^xi|g^xr|CKY|SAi_b")
    hash_i = first(di, "HASH_I", ilog)
    hash_r = first(di, "HASH_R", ilog)
    wire_hashes = [one(p, "isakmp.hash") for p in phase1 if one(p, "isakmp.hash")]
    if hash_i not in wire_hashes or hash_r not in wire_hashes:
        fail("HASH_I/HASH_R of the log are not the ones tshark decrypted from the capture")

    encrypted = [p for p in phase1 if one(p, "isakmp.flag_e") in ("1", "True", "true")]
    if not encrypted:
        fail("no encrypted phase-1 message")
    first_enc = isakmp_bytes(encrypted[0])
    last_block = isakmp_bytes(encrypted[-1])[-32:]

    phase1_out = {
        "exchange": case["exchange"],
        "proposal": case["ike"],
        "encryption": case["p1_encryption"],
        "hash": case["p1_hash"],
        "group": case["p1_group"],
        "auth": "pre-shared key",
        "psk": case["psk"].encode().hex(),
        "psk_text": case["psk"],
        "initiator": initiator_ip,
        "cky_i": cky_i,
        "cky_r": cky_r,
        "ni": ni,
        "nr": nr,
        "g_xi": g_xi,
        "g_xr": g_xr,
        "g_xy": p1["shared Diffie Hellman secret"],
        "skeyid": p1["SKEYID"],
        "skeyid_d": p1["SKEYID_d"],
        "skeyid_a": p1["SKEYID_a"],
        "skeyid_e": p1["SKEYID_e"],
        "ka": p1["encryption key Ka"],
        "iv": p1["initial IV"],
        "sa_i_b": sa_i_b,
        "id_ii_b": hash_i_data[len(prefix_i):],
        "id_ir_b": hash_r_data[len(prefix_r):],
        "hash_i": hash_i,
        "hash_r": hash_r,
        "first_encrypted_message": first_enc,
        "last_phase1_block": last_block,
    }

    if len(quick) < 3:
        fail("quick mode did not complete in the capture")
    q1, q2 = quick[0], quick[1]
    if one(q1, "ip.src") != initiator_ip:
        fail("the first quick mode message is not the initiator's")
    mid_hex = one(q1, "isakmp.messageid").replace("0x", "")
    mid = int(mid_hex, 16)

    def proposal_spi(p):
        sizes, spis = p.get("isakmp.spisize", []), p.get("isakmp.spi", [])
        for size, spi in zip(sizes, spis):
            if size == "4":
                return spi.replace("0x", "")
        fail(f"no 4-byte proposal SPI in quick mode frame {one(p, 'frame.number')}")

    qm_dh = all_of(di, "DH secret")
    if case["pfs"] and not qm_dh:
        fail("PFS asked for but no quick mode DH secret logged")
    qm_out = {
        "proposal": case["esp"],
        "encryption": case["p2_encryption"],
        "integrity": case["p2_integrity"],
        "group": GROUPS[case["pfs"]] if case["pfs"] else None,
        "protocol": 3,
        "message_id": mid_hex,
        "spi_i": proposal_spi(q1),
        "spi_r": proposal_spi(q2),
        "ni": one(q1, "isakmp.nonce"),
        "nr": one(q2, "isakmp.nonce"),
        "g_xi": one(q1, "isakmp.key_exchange.data") if case["pfs"] else None,
        "g_xr": one(q2, "isakmp.key_exchange.data") if case["pfs"] else None,
        "g_xy": qm_dh[0] if case["pfs"] else None,
        "iv": first(di, f"next IV for MID {mid}", ilog),
        "hash_3": first(di, "Hash(3)", ilog),
        "seed_i": first(di, "initiator SA seed", ilog),
        "seed_r": first(di, "responder SA seed", ilog),
        "encr_key_i": first(di, "encryption initiator key", ilog),
        "encr_key_r": first(di, "encryption responder key", ilog),
        "integ_key_i": next(iter(all_of(di, "integrity initiator key")), None),
        "integ_key_r": next(iter(all_of(di, "integrity responder key")), None),
    }
    for label in ["encryption initiator key", "encryption responder key"]:
        if first(dr, label, rlog) not in (qm_out["encr_key_i"], qm_out["encr_key_r"]):
            fail(f"responder's quick mode '{label}' differs from the initiator's")
    if first(dr, "Hash(3)", rlog) != qm_out["hash_3"]:
        fail("the responder computed a different Hash(3)")

    result = {
        "case": case["name"],
        "description": case["description"],
        "produced_by": case["command"],
        "strongswan": case["strongswan"],
        "date": case["date"],
        "phase1": phase1_out,
        "quick_mode": qm_out,
    }
    with open(out_path, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    main()
