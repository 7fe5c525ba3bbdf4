#!/usr/bin/python3
"""Turns the IKEv1 pcaps and charon logs written by capture.sh into the JSON test resources next to this script.

    /usr/bin/python3 gen-expected.py CAPTURE_DIR OUT_DIR

Run once at development time. Per datagram: the IKE message as hex (UDP payload, without the non-ESP marker on port
4500) and, under "tshark", what TShark 4.0.17 (-T json) reports: header fields and payloads. For encrypted messages
TShark decrypts with the phase 1 encryption key charon printed at log level 4 ("encryption key Ka"); "decrypted" is
TShark's decrypted octets (from -x, "Decrypted IKE"), and the payloads TShark dissected from them are under
"tshark"/"payloads". The Java tests decode those octets and compare, without running TShark.
"""
import json
import re
import subprocess
import sys
from pathlib import Path

SCENARIOS = ["main", "aggressive"]


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


def zip_payloads(pairs):
    items = list(pairs)
    out = []
    for idx, (k, v) in enumerate(items):
        if k == "isakmp.typepayload" and idx + 1 < len(items) and items[idx + 1][0] == "isakmp.typepayload_tree":
            out.append((int(v), items[idx + 1][1]))
    return out


def attributes(t):
    out = []
    for k, v in t:
        if k in ("isakmp.ike.attr", "isakmp.ipsec.attr"):
            prefix = k
            out.append({"type": int(first(v, prefix + ".type")), "tv": first(v, prefix + ".format") == "1",
                        "value": nohex(first(v, prefix + ".value"))})
    return out


def payload(ptype, t):
    p = {"type": ptype, "length": int(first(t, "isakmp.payloadlength"))}
    if ptype == 1:
        p["doi"] = int(first(t, "isakmp.sa.doi"))
        p["situation"] = int(nohex(first(t, "isakmp.sa.situation")), 16)
        proposals = []
        for pt, prop in zip_payloads(t):
            transforms = [{"number": int(first(tf, "isakmp.trans.number")), "id": int(first(tf, "isakmp.trans.id")),
                           "attributes": attributes(tf)} for tt, tf in zip_payloads(prop) if tt == 3]
            proposals.append({"number": int(first(prop, "isakmp.prop.number")),
                              "protocol": int(first(prop, "isakmp.prop.protoid")),
                              "spiSize": int(first(prop, "isakmp.spisize")),
                              "spi": nohex(first(prop, "isakmp.spi", "")),
                              "transformCount": int(first(prop, "isakmp.prop.transforms")),
                              "transforms": transforms})
        p["proposals"] = proposals
    elif ptype == 4:
        p["data"] = nohex(first(t, "isakmp.key_exchange.data"))
    elif ptype == 5:
        p["idType"] = int(first(t, "isakmp.id.type"))
        p["protocol"] = int(first(t, "isakmp.id.protoid"))
        p["port"] = int(first(t, "isakmp.id.port"))
        data = first(t, "isakmp.id.data")
        if isinstance(data, list):
            p["text"] = [v for k, v in data if k.startswith("isakmp.id.data.")]
    elif ptype == 8:
        p["data"] = nohex(first(t, "isakmp.hash"))
    elif ptype == 10:
        p["data"] = nohex(first(t, "isakmp.nonce"))
    elif ptype == 11:
        p["doi"] = int(first(t, "isakmp.notify.doi"))
        p["protocol"] = int(first(t, "isakmp.notify.protoid"))
        p["spiSize"] = int(first(t, "isakmp.spisize"))
        p["notifyType"] = int(first(t, "isakmp.notify.msgtype"))
        p["spi"] = nohex(first(t, "isakmp.spi", ""))
        data = first(t, "isakmp.notify.data")
        if isinstance(data, list):
            seq = first(data, "isakmp.notify.data.dpd.are_you_there", first(data, "isakmp.notify.data.dpd.are_you_there_ack"))
            if seq is not None:
                p["dpdSequence"] = int(seq)
        elif data:
            p["data"] = nohex(data)
    elif ptype == 12:
        p["doi"] = int(first(t, "isakmp.delete.doi"))
        p["protocol"] = int(first(t, "isakmp.delete.protoid"))
        p["spiSize"] = int(first(t, "isakmp.spisize"))
        p["spiCount"] = int(first(t, "isakmp.spinum"))
        p["spis"] = [nohex(v) for v in every(t, "isakmp.delete.spi")]
    elif ptype == 13:
        p["data"] = nohex(first(t, "isakmp.vid_bytes"))
    elif ptype in (20, 130):
        p["data"] = nohex(first(t, "isakmp.ike.nat_hash"))
    return p


def decrypted_dumps(pcap, opts, count):
    """Frame number -> TShark's 'Decrypted IKE' octets (hex), from the -x output of each frame."""
    out = {}
    for frame in range(1, count + 1):
        text = subprocess.run(["tshark", "-r", str(pcap), "-x", "-Y", f"frame.number=={frame}"] + opts,
                              capture_output=True, text=True, check=True).stdout
        section, acc = None, []
        for line in text.splitlines() + [""]:
            if line.startswith("Decrypted IKE ("):
                section, acc = "dec", []
            elif line.strip() == "":
                if section == "dec":
                    out[frame] = "".join(acc)
                section = None
            elif section == "dec":
                m = re.match(r"^[0-9a-f]{4}  ((?:[0-9a-f]{2} ){1,16})", line)
                acc.append(m.group(1).replace(" ", ""))
    return out


def main(cap, outdir):
    for name in SCENARIOS:
        pcap = Path(cap) / f"{name}.pcap"
        log = (Path(cap) / f"{name}.gwa.log").read_text().splitlines()
        key = None
        for i, line in enumerate(log):
            if "encryption key Ka =>" in line:
                key = "".join(log[i + 1].split(": ", 1)[1][:48].split()).lower()
                break
        frames = json.loads(subprocess.run(["tshark", "-r", str(pcap), "-T", "json"], capture_output=True, text=True,
                                           check=True).stdout, object_pairs_hook=pairs_hook)
        icookie = nohex(first(first(first(first(frames[0], "_source"), "layers"), "isakmp"), "isakmp.ispi"))
        opts = ["-o", f"uat:ikev1_decryption_table:{icookie},{key}"]
        dumps = decrypted_dumps(pcap, opts, len(frames))
        frames = json.loads(subprocess.run(["tshark", "-r", str(pcap), "-T", "json"] + opts, capture_output=True,
                                           text=True, check=True).stdout, object_pairs_hook=pairs_hook)
        packets = []
        for f in frames:
            ly = first(first(f, "_source"), "layers")
            udp = first(ly, "udp")
            raw = nohex(first(udp, "udp.payload"))
            sport, dport = first(udp, "udp.srcport"), first(udp, "udp.dstport")
            if "4500" in (sport, dport):
                assert raw.startswith("00000000")
                raw = raw[8:]
            isakmp = first(ly, "isakmp")
            number = int(first(first(ly, "frame"), "frame.number"))
            enc = first(isakmp, "isakmp.enc.data")
            chain = payload_chain(enc if isinstance(enc, list) else isakmp)
            pkt = {"frame": number, "from": f'{first(first(ly, "ip"), "ip.src")}:{sport}',
                   "to": f'{first(first(ly, "ip"), "ip.dst")}:{dport}', "hex": raw,
                   "tshark": {"ispi": nohex(first(isakmp, "isakmp.ispi")), "rspi": nohex(first(isakmp, "isakmp.rspi")),
                              "nextPayload": int(first(isakmp, "isakmp.nextpayload")),
                              "version": first(isakmp, "isakmp.version"),
                              "exchangeType": int(first(isakmp, "isakmp.exchangetype")),
                              "flags": int(first(isakmp, "isakmp.flags"), 16),
                              "messageId": int(first(isakmp, "isakmp.messageid"), 16),
                              "length": int(first(isakmp, "isakmp.length")),
                              "payloads": chain}}
            if number in dumps:
                pkt["decrypted"] = dumps[number]
            packets.append(pkt)
        doc = {"scenario": name,
               "source": "strongSwan 5.9.8 <-> strongSwan 5.9.8 (IKEv1) in the namespace lab, captured on gw-a's wan "
                         "(see capture.sh); expected values generated once from TShark 4.0.17 by gen-expected.py, "
                         "not at test time",
               "encryptionKey": key, "packets": packets}
        out = Path(outdir) / f"strongswan-ikev1-{name}.json"
        out.write_text(json.dumps(doc, indent=1) + "\n")
        print(f"{out}: {len(packets)} packets, {len(dumps)} decrypted")


def payload_chain(pairs):
    return [payload(t, tree) for t, tree in zip_payloads(pairs)]


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
