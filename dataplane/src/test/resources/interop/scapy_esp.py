#!/usr/bin/python3
"""ESP interop helper for ScapyInteropTest: scapy's SecurityAssociation opens packets Palisade sealed,
and seals packets for Palisade to open (tunnel mode).

Input on stdin, one "key=value" per line:
  op         seal | open
  crypt      scapy crypt_algo name (AES-GCM, AES-CBC, CHACHA20-POLY1305, 3DES)
  crypt_key  hex (for AEAD: key followed by the 4-octet salt)
  auth       scapy auth_algo name (NULL, HMAC-SHA1-96, SHA2-256-128, SHA2-384-192, SHA2-512-256)
  auth_key   hex, empty for NULL
  spi, seq   decimal; seq is the 32-bit wire value
  esn        decimal high 32 bits of the extended sequence number, or -1 without ESN
  outer_src, outer_dst  tunnel endpoints
  esp        (open) hex of the ESP packet, SPI to ICV
  inner_src, inner_dst, icmp_id, icmp_seq, icmp_len   (seal) the inner ICMP echo request to build
Output on stdout, one "key=value" per line:
  open: inner (hex of the decrypted inner packet), src, dst, proto, summary
  seal: esp (hex, SPI to ICV), inner (hex of the inner packet scapy built)
Exit status 0 on success; on failure a message on stderr and status 1.
"""
import sys

from scapy.all import raw
from scapy.layers.inet import ICMP, IP
from scapy.layers.ipsec import ESP, SecurityAssociation
from scapy.packet import Raw


def read_request():
    req = {}
    for line in sys.stdin.read().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            req[k.strip()] = v.strip()
    return req


def security_association(req):
    esn = int(req.get("esn", "-1"))
    auth = req.get("auth", "NULL")
    return SecurityAssociation(
        ESP,
        spi=int(req["spi"]),
        seq_num=int(req.get("seq", "1")),
        crypt_algo=req["crypt"],
        crypt_key=bytes.fromhex(req["crypt_key"]),
        auth_algo=auth,
        auth_key=bytes.fromhex(req.get("auth_key", "")) if auth != "NULL" else None,
        tunnel_header=IP(src=req["outer_src"], dst=req["outer_dst"]),
        esn_en=esn >= 0,
        esn=max(esn, 0),
    )


def do_open(req):
    sa = security_association(req)
    outer = IP(raw(IP(src=req["outer_src"], dst=req["outer_dst"], proto=50) / Raw(bytes.fromhex(req["esp"]))))
    inner = sa.decrypt(outer)  # verifies the ICV; raises on failure
    print("inner=" + raw(inner).hex())
    print("src=" + inner[IP].src)
    print("dst=" + inner[IP].dst)
    print("proto=" + str(inner[IP].proto))
    print("summary=" + inner.summary())


def do_seal(req):
    sa = security_association(req)
    payload = bytes((i % 256) for i in range(int(req.get("icmp_len", "32"))))
    inner = IP(src=req["inner_src"], dst=req["inner_dst"]) / ICMP(
        type=8, id=int(req.get("icmp_id", "1")), seq=int(req.get("icmp_seq", "1"))) / Raw(payload)
    inner = IP(raw(inner))  # fill lengths and checksums
    sealed = sa.encrypt(inner, seq_num=int(req["seq"]))
    print("esp=" + raw(sealed[ESP]).hex())
    print("inner=" + raw(inner).hex())


def main():
    req = read_request()
    op = req.get("op")
    try:
        if op == "open":
            do_open(req)
        elif op == "seal":
            do_seal(req)
        else:
            raise ValueError("unknown op %r" % op)
    except Exception as e:  # report every failure to the Java side
        print("%s: %s" % (type(e).__name__, e), file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
