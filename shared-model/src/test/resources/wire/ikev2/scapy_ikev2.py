"""Scapy (Debian python3-scapy, scapy.contrib.ikev2) as a second, independent IKEv2 encoder and parser.

    /usr/bin/python3 scapy_ikev2.py build    prints one JSON object per line: a message scapy built, as hex, with
                                             the values it was built from
    /usr/bin/python3 scapy_ikev2.py parse    reads hex messages (one per line) on stdin and prints, per message, a
                                             JSON object of what scapy's dissector reads from it

Used by ScapyIkev2InteropTest. Scapy computes lengths, next-payload chaining and substructure markers itself.
"""
import json
import sys

from scapy.contrib.ikev2 import (IKEv2, IKEv2_payload_AUTH, IKEv2_payload_CERTREQ, IKEv2_payload_Encrypted,
                                 IKEv2_payload_Encrypted_Fragment, IKEv2_payload_IDi, IKEv2_payload_IDr,
                                 IKEv2_payload_KE, IKEv2_payload_Nonce, IKEv2_payload_Notify, IKEv2_payload_Proposal,
                                 IKEv2_payload_SA, IKEv2_payload_Transform, IKEv2_payload_TSi, IKEv2_payload_TSr,
                                 IKEv2_payload_VendorID, IPv4TrafficSelector, IPv6TrafficSelector)
from scapy.all import raw


def tf(t, i, key_length=None, last=False):
    """A transform; scapy needs the length and the last-substructure marker spelled out."""
    if key_length:
        return IKEv2_payload_Transform(next_payload=0 if last else 3, transform_type=t, transform_id=i, length=12,
                                       key_length=key_length)
    return IKEv2_payload_Transform(next_payload=0 if last else 3, transform_type=t, transform_id=i)


def build():
    """Messages built with scapy. Scapy computes payload, proposal and header lengths and SPI sizes; the next-payload
    fields and transform lengths must be given (scapy 2.5 does not chain them). Scapy 2.5 cannot build IDi payloads at
    all, nor IDr payloads other than ID_IPV4_ADDR, and writes 20 instead of 40 as the length of an IPv6 selector, so neither is used;
    it also leaves the SPI out of a proposal's length, so the ESP proposal's length is given by hand."""
    ispi, rspi = bytes.fromhex("0102030405060708"), bytes.fromhex("1112131415161718")
    nonce = bytes(range(32))
    ke = bytes(range(32))
    sa = IKEv2_payload_SA(next_payload=34, prop=IKEv2_payload_Proposal(
        next_payload=2, proposal=1, proto=1, trans_nb=4,
        trans=tf(1, 20, 256) / tf(2, 7) / tf(4, 31) / tf(4, 19, last=True))
        / IKEv2_payload_Proposal(next_payload=0, proposal=2, proto=1, trans_nb=4,
        trans=tf(1, 12, 128) / tf(3, 12) / tf(2, 5) / tf(4, 14, last=True)))
    init = (IKEv2(init_SPI=ispi, resp_SPI=bytes(8), next_payload=33, exch_type=34, flags="Initiator", id=0)
            / sa / IKEv2_payload_KE(next_payload=40, group=31, load=ke)
            / IKEv2_payload_Nonce(next_payload=41, load=nonce)
            / IKEv2_payload_Notify(next_payload=41, type=16388, load=bytes(20))
            / IKEv2_payload_Notify(next_payload=41, type=16389, load=bytes([1] * 20))
            / IKEv2_payload_Notify(next_payload=41, type=16430)
            / IKEv2_payload_Notify(next_payload=43, type=16431, load=bytes.fromhex("00020003"))
            / IKEv2_payload_VendorID(next_payload=0, vendorID=b"palisade-scapy-test"))
    yield "ike_sa_init", init, {"exchangeType": 34, "flags": 8, "messageId": 0,
                                "payloads": [33, 34, 40, 41, 41, 41, 41, 43],
                                "proposals": [[[1, 20, 256], [2, 7, 0], [4, 31, 0], [4, 19, 0]],
                                              [[1, 12, 128], [3, 12, 0], [2, 5, 0], [4, 14, 0]]],
                                "keGroup": 31, "nonceLength": 32,
                                "notifies": [16388, 16389, 16430, 16431]}
    esp = IKEv2_payload_SA(next_payload=44, prop=IKEv2_payload_Proposal(
        next_payload=0, proposal=1, proto=3, SPI=bytes.fromhex("c0ffee01"), trans_nb=2, length=32,
        trans=tf(1, 20, 128) / tf(5, 0, last=True)))
    inner = (IKEv2(init_SPI=ispi, resp_SPI=rspi, next_payload=38, exch_type=35, flags="Initiator", id=1)
             / IKEv2_payload_CERTREQ(next_payload=36, cert_type=4, cert_data=bytes(range(20)))
             / IKEv2_payload_IDr(next_payload=39, IDtype=1, ID="192.0.2.2")
             / IKEv2_payload_AUTH(next_payload=33, auth_type=2, load=bytes(range(32)))
             / esp
             / IKEv2_payload_TSi(next_payload=45, number_of_TSs=2, traffic_selector=[
                 IPv4TrafficSelector(IP_protocol_ID=0, start_port=0, end_port=65535,
                                     starting_address_v4="10.1.0.0", ending_address_v4="10.1.0.255"),
                 IPv4TrafficSelector(IP_protocol_ID=6, start_port=443, end_port=443,
                                     starting_address_v4="10.1.5.5", ending_address_v4="10.1.5.5")])
             / IKEv2_payload_TSr(next_payload=0, number_of_TSs=1, traffic_selector=[
                 IPv4TrafficSelector(IP_protocol_ID=17, start_port=500, end_port=4500,
                                     starting_address_v4="10.2.0.0", ending_address_v4="10.2.255.255")]))
    yield "ike_auth_plaintext", inner, {"exchangeType": 35, "flags": 8, "messageId": 1,
                                        "payloads": [38, 36, 39, 33, 44, 45]}
    sk = (IKEv2(init_SPI=ispi, resp_SPI=rspi, next_payload=46, exch_type=37, flags="Response", id=7)
          / IKEv2_payload_Encrypted(next_payload=42, load=bytes(range(8)) + b"\xaa" * 17 + bytes(16)))
    yield "informational_sk", sk, {"exchangeType": 37, "flags": 32, "messageId": 7, "payloads": [46]}
    skf = (IKEv2(init_SPI=ispi, resp_SPI=rspi, next_payload=53, exch_type=35, flags="Initiator", id=1)
           / IKEv2_payload_Encrypted_Fragment(next_payload=35, frag_number=1, frag_total=3, load=bytes(40)))
    yield "ike_auth_fragment", skf, {"exchangeType": 35, "flags": 8, "messageId": 1, "payloads": [53]}


def parse(hexline):
    p = IKEv2(bytes.fromhex(hexline))
    out = {"ispi": p.init_SPI.hex(), "rspi": p.resp_SPI.hex(), "exchangeType": p.exch_type, "flags": int(p.flags),
           "messageId": p.id, "length": p.length, "payloads": [], "notifies": [], "proposals": [],
           "selectors": [], "ids": []}
    layer = p.payload
    while layer is not None and layer.__class__.__name__ != "NoPayload":
        name = layer.__class__.__name__
        if name == "Raw" or name == "Padding":
            out["payloads"].append(-1)
            break
        out["payloads"].append(payload_type(layer))
        if name == "IKEv2_payload_Notify":
            out["notifies"].append([layer.type, layer.load.hex() if layer.load else ""])
        if name == "IKEv2_payload_SA":
            prop = layer.prop
            while prop is not None and prop.__class__.__name__ == "IKEv2_payload_Proposal":
                transforms = []
                t = prop.trans
                while t is not None and t.__class__.__name__ == "IKEv2_payload_Transform":
                    transforms.append([t.transform_type, t.transform_id, t.key_length or 0])
                    t = t.payload if t.payload.__class__.__name__ == "IKEv2_payload_Transform" else None
                out["proposals"].append({"number": prop.proposal, "protocol": prop.proto, "spi": prop.SPI.hex(),
                                         "transforms": transforms})
                prop = prop.payload if prop.payload.__class__.__name__ == "IKEv2_payload_Proposal" else None
        if name in ("IKEv2_payload_TSi", "IKEv2_payload_TSr"):
            for s in layer.traffic_selector:
                if s.__class__.__name__ == "IPv4TrafficSelector":
                    out["selectors"].append([s.TS_type, s.IP_protocol_ID, s.start_port, s.end_port,
                                             s.starting_address_v4, s.ending_address_v4])
                elif s.__class__.__name__ == "IPv6TrafficSelector":
                    out["selectors"].append([s.TS_type, s.IP_protocol_ID, s.start_port, s.end_port,
                                             s.starting_address_v6, s.ending_address_v6])
        if name in ("IKEv2_payload_IDi", "IKEv2_payload_IDr"):
            out["ids"].append([layer.IDtype, str(layer.ID) if not isinstance(layer.ID, bytes) else layer.ID.hex()])
        if name in ("IKEv2_payload_Encrypted", "IKEv2_payload_Encrypted_Fragment"):
            break
        layer = layer.payload
    return out


TYPES = {"IKEv2_payload_SA": 33, "IKEv2_payload_KE": 34, "IKEv2_payload_IDi": 35, "IKEv2_payload_IDr": 36,
         "IKEv2_payload_CERT_CRT": 37, "IKEv2_payload_CERT_CRL": 37, "IKEv2_payload_CERT_STR": 37,
         "IKEv2_payload_CERTREQ": 38, "IKEv2_payload_AUTH": 39, "IKEv2_payload_Nonce": 40, "IKEv2_payload_Notify": 41,
         "IKEv2_payload_Delete": 42, "IKEv2_payload_VendorID": 43, "IKEv2_payload_TSi": 44, "IKEv2_payload_TSr": 45,
         "IKEv2_payload_Encrypted": 46, "IKEv2_payload_CP": 47, "IKEv2_payload_Encrypted_Fragment": 53}


def payload_type(layer):
    return TYPES.get(layer.__class__.__name__, 0)


if __name__ == "__main__":
    if sys.argv[1] == "build":
        for name, pkt, expect in build():
            print(json.dumps({"name": name, "hex": raw(pkt).hex(), "expect": expect}))
    else:
        for line in sys.stdin:
            if line.strip():
                print(json.dumps(parse(line.strip())))
