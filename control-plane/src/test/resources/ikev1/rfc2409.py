# An independent reference for RFC 2409 key derivation, written from the RFC's text (section 5, 5.5, Appendix B)
# with Python's hmac and hashlib. Usage: rfc2409.py <hash> <function> <hex args...>; prints hex.
import hashlib, hmac, struct, sys

h = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha384": hashlib.sha384, "sha512": hashlib.sha512}[sys.argv[1]]
fn = sys.argv[2]
a = [bytes.fromhex(x) for x in sys.argv[3:]]

def prf(k, m):
    return hmac.new(k, m, h).digest()

def expand(k, length):
    out, block = b"", b"\x00"
    if len(k) >= length:
        return k[:length]
    while len(out) < length:
        block = prf(k, block)
        out += block
    return out[:length]

if fn == "skeyid-psk":           # psk ni nr
    r = prf(a[0], a[1] + a[2])
elif fn == "skeyid-sig":         # ni nr gxy
    r = prf(a[0] + a[1], a[2])
elif fn == "skeyid-dae":         # skeyid gxy ckyi ckyr -> d|a|e
    d = prf(a[0], a[1] + a[2] + a[3] + b"\x00")
    e_a = prf(a[0], d + a[1] + a[2] + a[3] + b"\x01")
    e = prf(a[0], e_a + a[1] + a[2] + a[3] + b"\x02")
    r = d + e_a + e
elif fn == "enckey":             # skeyid_e length
    r = expand(a[0], int(a[1].hex(), 16))
elif fn == "iv1":                # gxi gxr blocksize
    r = h(a[0] + a[1]).digest()[:int(a[2].hex(), 16)]
elif fn == "iv2":                # lastblock mid blocksize
    r = h(a[0] + a[1]).digest()[:int(a[2].hex(), 16)]
elif fn == "hash-i":             # skeyid gxi gxr ckyi ckyr sai idii
    r = prf(a[0], a[1] + a[2] + a[3] + a[4] + a[5] + a[6])
elif fn == "hash-r":             # skeyid gxi gxr ckyi ckyr sai idir
    r = prf(a[0], a[2] + a[1] + a[4] + a[3] + a[5] + a[6])
elif fn == "qm-hash1":           # skeyid_a mid rest
    r = prf(a[0], a[1] + a[2])
elif fn == "qm-hash2":           # skeyid_a mid ni rest
    r = prf(a[0], a[1] + a[2] + a[3])
elif fn == "qm-hash3":           # skeyid_a mid ni nr
    r = prf(a[0], b"\x00" + a[1] + a[2] + a[3])
elif fn == "keymat":             # skeyid_d pfs(or empty '-') protocol spi ni nr length
    seed = a[1] + a[2] + a[3] + a[4] + a[5]
    n = int(a[6].hex(), 16)
    out, k = b"", b""
    while len(out) < n:
        k = prf(a[0], k + seed)
        out += k
    r = out[:n]
elif fn == "natd":               # ckyi ckyr ip port
    r = h(a[0] + a[1] + a[2] + a[3]).digest()
else:
    sys.exit("unknown function " + fn)
print(r.hex())
