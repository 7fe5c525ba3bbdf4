#!/usr/bin/python3
"""Turns the pcaps and charon logs written by capture.sh into the JSON test resources next to this script.

    /usr/bin/python3 gen-expected.py CAPTURE_DIR OUT_DIR

Run once at development time. For every captured IKE datagram the JSON holds the raw IKE message as hex (UDP
payload; on port 4500 without the 4-octet non-ESP marker) and, under "tshark", what TShark's dissector reports for
it: header fields, the outer payload chain, and for SK/SKF payloads the decrypted inner payloads (TShark decrypts
with the SK_e/SK_a keys that charon printed at log level 4; for SKF, TShark reports the reassembled inner payloads
with the last fragment). The expected values are TShark's, copied from its JSON output (-T json) without
reinterpretation, so the Java tests compare Palisade's decoder against an independent implementation without calling
TShark at test time. The keys are listed under "ikeSas" so that the tests can decrypt too; they belong to one
throw-away lab session.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

SCENARIOS = ["psk", "invalid-ke", "no-proposal", "cert"]

TSHARK_ENCR = {
    "AES_GCM_16_128": "AES-GCM-128 with 16 octet ICV [RFC5282]",
    "AES_GCM_16_256": "AES-GCM-256 with 16 octet ICV [RFC5282]",
    "AES_CBC_128": "AES-CBC-128 [RFC3602]",
    "AES_CBC_256": "AES-CBC-256 [RFC3602]",
}
TSHARK_INTEG = {None: "NONE [RFC4306]", "HMAC_SHA2_256_128": "HMAC_SHA2_256_128 [RFC4868]"}


def log_keys(log):
    """Key sets in the order charon derived them, each with the IKE proposal selected just before."""
    lines = Path(log).read_text().splitlines()
    sets, proposal, i = [], None, 0
    while i < len(lines):
        line = lines[i]
        m = re.search(r"selected proposal: IKE:(\S+)", line)
        if m:
            proposal = m.group(1).split("/")
        m = re.search(r"\[IKE\] (Sk_\w+) secret => (\d+) bytes", line)
        if m:
            name, n = m.group(1), int(m.group(2))
            hexbytes = []
            i += 1
            while i < len(lines) and re.search(r"\[IKE\]\s+\d+: ", lines[i]):
                dump = lines[i].split(": ", 1)[1][:48]
                hexbytes += dump.split()
                i += 1
            value = "".join(hexbytes).lower()
            assert len(value) == 2 * n, (name, value, n)
            if name == "Sk_d":
                sets.append({"proposal": proposal})
            sets[-1][name] = value
            continue
        i += 1
    return sets


def pairs_hook(pairs):
    return pairs


def first(pairs, key, default=None):
    for k, v in pairs:
        if k == key:
            return v
    return default


def every(pairs, key):
    return [v for k, v in pairs if k == key]


def nohex(v):
    return v.replace(":", "") if isinstance(v, str) else v


def payload_chain(pairs):
    out = []
    items = list(pairs)
    for idx, (k, v) in enumerate(items):
        if k == "isakmp.typepayload":
            tree = items[idx + 1][1] if idx + 1 < len(items) and items[idx + 1][0] == "isakmp.typepayload_tree" else []
            out.append(payload(int(v), tree))
    return out


def payload(ptype, t):
    p = {"type": ptype, "length": int(first(t, "isakmp.payloadlength")),
         "critical": int(first(t, "isakmp.criticalpayload", "0"))}
    if ptype == 33:
        proposals = []
        for prop in [pl for pt, pl in zip_payloads(t) if pt == 2]:
            transforms = []
            for tf in [tl for tt, tl in zip_payloads(prop) if tt == 3]:
                ids = [v for k, v in tf if k.startswith("isakmp.tf.id.")]
                entry = {"type": int(first(tf, "isakmp.tf.type")), "id": int(ids[0])}
                attr = first(tf, "isakmp.ike2.attr")
                if attr is not None and first(attr, "isakmp.ike2.attr.key_length") is not None:
                    entry["keyLength"] = int(first(attr, "isakmp.ike2.attr.key_length"))
                transforms.append(entry)
            proposals.append({"number": int(first(prop, "isakmp.prop.number")),
                              "protocol": int(first(prop, "isakmp.prop.protoid")),
                              "spiSize": int(first(prop, "isakmp.spisize")),
                              "spi": nohex(first(prop, "isakmp.spi", "")),
                              "transformCount": int(first(prop, "isakmp.prop.transforms")),
                              "transforms": transforms})
        p["proposals"] = proposals
    elif ptype == 34:
        p["group"] = int(first(t, "isakmp.key_exchange.dh_group"))
        p["data"] = nohex(first(t, "isakmp.key_exchange.data"))
    elif ptype in (35, 36):
        p["idType"] = int(first(t, "isakmp.id.type"))
        data = first(t, "isakmp.id.data")
        if isinstance(data, list):
            for k, v in data:
                if k in ("isakmp.id.data.fqdn", "isakmp.id.data.user_fqdn", "isakmp.id.data.ipv4_addr",
                         "isakmp.id.data.ipv6_addr"):
                    p["text"] = v
    elif ptype == 37:
        p["encoding"] = int(first(t, "isakmp.cert.encoding"))
    elif ptype == 38:
        p["encoding"] = int(first(t, "isakmp.certreq.type"))
        p["authorities"] = [nohex(v) for v in every(t, "isakmp.ike.certreq.authority")]
    elif ptype == 39:
        p["method"] = int(first(t, "isakmp.auth.method"))
        if first(t, "isakmp.auth.data") is not None:
            p["data"] = nohex(first(t, "isakmp.auth.data"))
    elif ptype == 40:
        p["nonce"] = nohex(first(t, "isakmp.nonce"))
    elif ptype == 41:
        p["protocol"] = int(first(t, "isakmp.notify.protoid"))
        p["spiSize"] = int(first(t, "isakmp.spisize"))
        p["notifyType"] = int(first(t, "isakmp.notify.msgtype"))
        if first(t, "isakmp.spi") is not None:
            p["spi"] = nohex(first(t, "isakmp.spi"))
        data = first(t, "isakmp.notify.data")
        if isinstance(data, list):
            hashes = every(data, "isakmp.notify.data.signature_hash_algorithms")
            if hashes:
                p["hashAlgorithms"] = [int(h) for h in hashes]
            group = first(data, "isakmp.notify.data.accepted_dh_group")
            if group is not None:
                p["acceptedGroup"] = int(group)
        elif data:
            p["data"] = nohex(data)
        for k, v in t:
            if k == "isakmp.notify.data.signature_hash_algorithms":
                p.setdefault("hashAlgorithms", []).append(int(v))
            if k == "isakmp.notify.data.accepted_dh_group":
                p["acceptedGroup"] = int(v)
    elif ptype == 42:
        p["protocol"] = int(first(t, "isakmp.delete.protoid", first(t, "isakmp.protoid", "-1")))
        p["spiSize"] = int(first(t, "isakmp.spisize"))
        p["spiCount"] = int(first(t, "isakmp.delete.num_spis", first(t, "isakmp.spinum", "-1")))
        p["spis"] = [nohex(v) for v in every(t, "isakmp.delete.spi")]
    elif ptype == 43:
        p["data"] = nohex(first(t, "isakmp.vid_bytes"))
    elif ptype in (44, 45):
        p["count"] = int(first(t, "isakmp.ts.number"))
        selectors = []
        for s in every(t, "isakmp.ts.data"):
            sel = {"tsType": int(first(s, "isakmp.ts.type")), "protocol": int(first(s, "isakmp.ts.protoid")),
                   "length": int(first(s, "isakmp.ts.selector_length")),
                   "startPort": int(first(s, "isakmp.ts.start_port")), "endPort": int(first(s, "isakmp.ts.end_port"))}
            for k, v in s:
                if k in ("isakmp.ts.start_ipv4", "isakmp.ts.start_ipv6"):
                    sel["start"] = v
                if k in ("isakmp.ts.end_ipv4", "isakmp.ts.end_ipv6"):
                    sel["end"] = v
            selectors.append(sel)
        p["selectors"] = selectors
    elif ptype in (46, 53):
        p["nextPayload"] = int(first(t, "isakmp.nextpayload"))
        if ptype == 53:
            p["fragmentNumber"] = int(first(t, "isakmp.frag.number"))
            p["totalFragments"] = int(first(t, "isakmp.frag.total"))
        if first(t, "isakmp.enc.iv") is not None:
            p["iv"] = nohex(first(t, "isakmp.enc.iv"))
        decrypted = first(t, "isakmp.enc.decrypted")
        if decrypted is not None:
            p["padLength"] = int(first(decrypted, "isakmp.enc.pad_length", "-1"))
            contained = first(decrypted, "isakmp.enc.contained")
            if isinstance(contained, list):
                inner = payload_chain(contained)
                if inner:
                    p["inner"] = inner
        if first(t, "isakmp.enc.icd") is not None:
            p["icv"] = nohex(first(t, "isakmp.enc.icd"))
        reassembled = payload_chain(t)
        if reassembled:
            p["reassembledInner"] = reassembled
    return p


def zip_payloads(pairs):
    items = list(pairs)
    out = []
    for idx, (k, v) in enumerate(items):
        if k == "isakmp.typepayload" and idx + 1 < len(items) and items[idx + 1][0] == "isakmp.typepayload_tree":
            out.append((int(v), items[idx + 1][1]))
    return out


def layers(packet):
    return first(first(packet, "_source"), "layers")


def main(cap, outdir):
    for name in SCENARIOS:
        pcap = Path(cap) / f"{name}.pcap"
        keys = log_keys(Path(cap) / f"{name}.gwa.log")
        base = subprocess.run(["tshark", "-r", str(pcap), "-T", "json"], capture_output=True, text=True, check=True)
        frames = json.loads(base.stdout, object_pairs_hook=pairs_hook)
        spi_pairs = []
        for f in frames:
            isakmp = first(layers(f), "isakmp")
            if first(isakmp, "isakmp.nextpayload") in ("46", "53"):
                pair = (nohex(first(isakmp, "isakmp.ispi")), nohex(first(isakmp, "isakmp.rspi")))
                if pair not in spi_pairs:
                    spi_pairs.append(pair)
        assert len(spi_pairs) <= len(keys), (name, spi_pairs, len(keys))
        sas, opts = [], []
        for (ispi, rspi), k in zip(spi_pairs, keys):
            encr = k["proposal"][0]
            integ = k["proposal"][1] if k["proposal"][1].startswith("HMAC") else None
            sas.append({"spii": ispi, "spir": rspi, "encryption": encr, "integrity": integ,
                        "skEi": k["Sk_ei"], "skEr": k["Sk_er"], "skAi": k.get("Sk_ai", ""), "skAr": k.get("Sk_ar", "")})
            opts += ["-o", f'uat:ikev2_decryption_table:{ispi},{rspi},{k["Sk_ei"]},{k["Sk_er"]},'
                           f'"{TSHARK_ENCR[encr]}",{k.get("Sk_ai", "")},{k.get("Sk_ar", "")},"{TSHARK_INTEG[integ]}"']
        dec = subprocess.run(["tshark", "-r", str(pcap), "-T", "json"] + opts, capture_output=True, text=True,
                             check=True)
        packets = []
        for f in json.loads(dec.stdout, object_pairs_hook=pairs_hook):
            ly = layers(f)
            udp = first(ly, "udp")
            raw = nohex(first(udp, "udp.payload"))
            sport, dport = first(udp, "udp.srcport"), first(udp, "udp.dstport")
            if "4500" in (sport, dport):
                assert raw.startswith("00000000"), "ESP on the IKE port?"
                raw = raw[8:]
            isakmp = first(ly, "isakmp")
            ip = first(ly, "ip")
            packets.append({
                "frame": int(first(first(ly, "frame"), "frame.number")),
                "from": f'{first(ip, "ip.src")}:{sport}', "to": f'{first(ip, "ip.dst")}:{dport}',
                "hex": raw,
                "tshark": {
                    "ispi": nohex(first(isakmp, "isakmp.ispi")), "rspi": nohex(first(isakmp, "isakmp.rspi")),
                    "nextPayload": int(first(isakmp, "isakmp.nextpayload")),
                    "version": first(isakmp, "isakmp.version"),
                    "exchangeType": int(first(isakmp, "isakmp.exchangetype")),
                    "flags": int(first(isakmp, "isakmp.flags"), 16),
                    "messageId": int(first(isakmp, "isakmp.messageid"), 16),
                    "length": int(first(isakmp, "isakmp.length")),
                    "payloads": payload_chain(isakmp),
                },
            })
        doc = {
            "scenario": name,
            "source": "strongSwan 5.9.8 <-> strongSwan 5.9.8 in the namespace lab, captured on gw-a's wan "
                      "(see capture.sh); expected values generated once from TShark 4.0.17 -T json by "
                      "gen-expected.py, not at test time",
            "ikeSas": sas,
            "packets": packets,
        }
        out = Path(outdir) / f"strongswan-{name}.json"
        out.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"{out}: {len(packets)} packets, {len(sas)} IKE SAs")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
