#!/usr/bin/env python3
"""Writes the seed corpora of the verification-side fuzz targets (committed under
fuzz/seeds/<target>/): residence_sm, cvc, surface, x509, cms, rsa_public, crl, dump,
server_bodies.

Everything is synthetic: the TEST PKI fixtures (crates/jpid-testpki/fixtures) and what jpid's
own simulated cards give (`jpid --reader sim:KIND ...`: dumps and signatures). No real card
data. Needs a built jpid binary and Python's `cryptography` package:

    cargo build -p jpid
    python3 fuzz/seeds/make_verify_seeds.py target/debug/jpid

The dumps' `read_at` is rewritten to 2026-01-01T00:00:00Z, the time the targets verify at, so
the seeds are the same on every run (the simulated cards sign deterministically).

Multi-file inputs use the format of `fuzz/src/support.rs` (`parts`): each part but the last is
a two-byte big-endian length and its bytes; the last part is the rest.
"""
import base64
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile

from cryptography import x509 as cx509
from cryptography.hazmat.primitives.ciphers import Cipher, modes
from cryptography.hazmat.primitives.ciphers.algorithms import AES

try:  # cryptography >= 43 keeps 3DES here
    from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
except ImportError:  # pragma: no cover
    from cryptography.hazmat.primitives.ciphers.algorithms import TripleDES

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "crates", "jpid-testpki", "fixtures")
READ_AT = "2026-01-01T00:00:00Z"
CONTENT = b"jpid fuzz seed content\n"  # fuzz_targets/cms.rs signs-over content
TARGETS = ["residence_sm", "cvc", "surface", "x509", "cms", "rsa_public", "crl", "dump",
           "server_bodies"]


def parts(*ps):
    out = b""
    for p in ps[:-1]:
        assert len(p) < 65536
        out += len(p).to_bytes(2, "big") + p
    return out + ps[-1]


def fixture(name):
    with open(os.path.join(FIXTURES, name), "rb") as f:
        return f.read()


def write(target, name, data):
    d = os.path.join(HERE, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def tlv(tag, value):
    n = len(value)
    if n < 0x80:
        ln = bytes([n])
    elif n < 0x100:
        ln = b"\x81" + bytes([n])
    else:
        ln = b"\x82" + n.to_bytes(2, "big")
    return tag + ln + value


# ---- residence_sm ---------------------------------------------------------------------------

KS = bytes.fromhex("CE94938E19E3B97DF96EABCEDC1715CC")  # residence-card.md §7, gen-1 session key


def pad(data, block):
    data = data + b"\x80"
    while len(data) % block:
        data += b"\x00"
    return data


def sm_answer(aes, plain):
    block = 16 if aes else 8
    alg = AES(KS) if aes else TripleDES(KS + KS[:8])  # 2-key 3DES as K1 K2 K1
    enc = Cipher(alg, modes.CBC(b"\x00" * block)).encryptor()
    c = enc.update(pad(plain, block)) + enc.finalize()
    return tlv(b"\x86", b"\x01" + c)


def residence_sm():
    for aes in (0, 1):
        suite = "aes" if aes else "tdes"
        write("residence_sm", f"{suite}-card-type.bin", bytes([aes]) + sm_answer(aes, b"\xC1\x01\x31"))
        write("residence_sm", f"{suite}-empty.bin", bytes([aes]) + sm_answer(aes, b""))
        addr = tlv(b"\xD2", b"20240401") + tlv(b"\xD3", b"131016") + tlv(b"\xD4", "東京都千代田区".encode())
        write("residence_sm", f"{suite}-address.bin", bytes([aes]) + sm_answer(aes, addr))
        big = bytes(range(256)) * 2
        write("residence_sm", f"{suite}-long-form.bin", bytes([aes]) + sm_answer(aes, big))
    # The §7 MUTUAL AUTHENTICATE answers (E.ICC ‖ M.ICC), 40 bytes each.
    write("residence_sm", "tdes-mutual-auth.bin", b"\x00" + bytes.fromhex(
        "5860775B4D032CC564BA204B8EA868F694A74E7475A8FEF240588BDA1AF496CE59388FD6CD45248B"))
    write("residence_sm", "aes-mutual-auth.bin", b"\x01" + bytes.fromhex(
        "289A96B1DA6AE3DA87770419BFD14F0BDAD15F36432B5A946C188C7221759A62FA942EC51E62FF5F"))


# ---- from the simulator ---------------------------------------------------------------------

def run(jpid, args, stdin=None):
    # A tampered card exits non-zero (not genuine) but still writes its dump; main() fails
    # when an expected output is missing.
    return subprocess.run([jpid, "--trust", "test"] + args, input=stdin, capture_output=True)


def load_dump(path):
    with open(path) as f:
        d = json.load(f)
    d["read_at"] = READ_AT
    return d


def dump_text(d):
    return json.dumps(d, indent=2, sort_keys=True).encode() + b"\n"


def files_of(d):
    return {k: base64.b64decode(v) for k, v in d["files"].items()}


def simulated(jpid, tmp):
    dumps = {}
    for kind in ["residence", "residence-gen2", "spr", "spr-gen2", "residence,photo=no",
                 "residence,tamper=signature", "residence-gen2,tamper=face"]:
        out = os.path.join(tmp, kind.replace(",", "_").replace("=", "-"))
        run(jpid, ["--reader", f"sim:{kind}", "residence", "read",
                   "--card-number", "AB12345678CD", "--out", out])
        dumps["card-" + os.path.basename(out)] = load_dump(os.path.join(out, "card.json"))
    for kind in ["mynumber", "mynumber,tamper=basic", "mynumber,tamper=cvc"]:
        out = os.path.join(tmp, "text_" + kind.replace(",", "_").replace("=", "-"))
        run(jpid, ["--reader", f"sim:{kind}", "mynumber", "text", "--pin-stdin",
                   "--show-my-number", "--out", out], stdin=b"1234\n")
        dumps["text-" + os.path.basename(out)[5:]] = load_dump(os.path.join(out, "text.json"))
    for kind in ["mynumber", "mynumber,tamper=face-dob", "mynumber,tamper=surface-cvc-issuer"]:
        out = os.path.join(tmp, "face_" + kind.replace(",", "_").replace("=", "-"))
        run(jpid, ["--reader", f"sim:{kind}", "mynumber", "face", "--with", "a",
                   "--show-my-number", "--pin-stdin", "--out", out], stdin=b"999900000001\n")
        dumps["face-" + os.path.basename(out)[5:]] = load_dump(os.path.join(out, "face.json"))
    content = os.path.join(tmp, "content")
    with open(content, "wb") as f:
        f.write(CONTENT)
    sigs = {}
    for key, pin in [("sign", b"ABC123\n"), ("auth", b"1234\n")]:
        for raw in (False, True):
            out = os.path.join(tmp, f"{key}{'.sig' if raw else '.p7s'}")
            run(jpid, ["--reader", "sim:mynumber", "jpki", "sign", "--key", key, "--in", content,
                       "--out", out, "--pin-stdin"] + (["--raw"] if raw else []), stdin=pin)
            with open(out, "rb") as f:
                sigs[(key, raw)] = f.read()
    return dumps, sigs


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    jpid = os.path.abspath(sys.argv[1])
    for t in TARGETS:
        shutil.rmtree(os.path.join(HERE, t), ignore_errors=True)
    residence_sm()
    with tempfile.TemporaryDirectory() as tmp:
        dumps, sigs = simulated(jpid, tmp)

    # dump: the JSON as written (read_at fixed).
    for name, d in dumps.items():
        write("dump", f"{name}.json", dump_text(d))

    # cvc: flags (bit 0 EF 0001, bit 1 EF 0002), EF 0001, EF 0002, EF 0003, EF 0004.
    for name, d in dumps.items():
        if not name.startswith("text-"):
            continue
        f = files_of(d)
        for flags in (3, 2, 1):
            write("cvc", f"{name}-flags{flags}.bin", bytes([flags]) + parts(
                f.get("my_number", b""), f.get("basic", b""), f["integrity"], f["cvc"]))

    # surface: flags (bit 0 EF 0001, 1 EF 0002, 2 EF 0003, 3 EF 0005), then the five files.
    for name, d in dumps.items():
        if not name.startswith("face-"):
            continue
        f = files_of(d)
        for flags in (0b1111, 0b0001, 0b0110):
            write("surface", f"{name}-flags{flags}.bin", bytes([flags]) + parts(
                f.get("birth", b""), f.get("face", b""), f.get("info", b""), f["cvc"],
                f.get("my_number_image", b"")))

    # x509: every TEST certificate, DER and PEM, and a residence card's signer certificate.
    for fn in sorted(os.listdir(FIXTURES)):
        if fn.endswith((".der", ".pem")) and "crl" not in fn:
            write("x509", fn, fixture(fn))

    # crl: limit byte (0 = default limit), then the CRL.
    for fn in ["jpki-auth-crl.der", "jpki-auth-crl.pem", "jpki-sign-crl.der", "jpki-sign-crl.pem"]:
        write("crl", fn + ".bin", b"\x00" + fixture(fn))
    write("crl", "too-large.bin", b"\x01" + fixture("jpki-auth-crl.der"))

    # cms: mode (bit 0 raw, bit 1 revocation required), then .p7s or (signature, certificate).
    for key in ("sign", "auth"):
        cert = fixture(f"jpki-holder-{key}.der")
        for mode in (0, 2):
            write("cms", f"{key}-p7s-mode{mode}.bin", bytes([mode]) + sigs[(key, False)])
            write("cms", f"{key}-raw-mode{mode | 1}.bin",
                  bytes([mode | 1]) + parts(sigs[(key, True)], cert))

    # rsa_public: selector, then (e, n, signature). The selector makes k = size - 51, so
    # verify_pkcs1 sees the real SHA-256 DigestInfo.
    for key in ("sign", "auth"):
        cert = cx509.load_der_x509_certificate(fixture(f"jpki-holder-{key}.der"))
        nums = cert.public_key().public_numbers()
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
        size = len(n)
        sel = size - 51  # < 256 for RSA-2048
        write("rsa_public", f"{key}-raw-signature.bin", bytes([sel]) + parts(e, n, sigs[(key, True)]))
    for ca_name, ee_name in [("jpki-auth-ca", "jpki-holder-auth"), ("jpki-sign-ca", "jpki-holder-sign"),
                             ("zairyu-ca", "zairyu-signer")]:
        ca = cx509.load_der_x509_certificate(fixture(f"{ca_name}.der"))
        ee = cx509.load_der_x509_certificate(fixture(f"{ee_name}.der"))
        nums = ca.public_key().public_numbers()
        n = nums.n.to_bytes((nums.n.bit_length() + 7) // 8, "big")
        e = nums.e.to_bytes((nums.e.bit_length() + 7) // 8, "big")
        write("rsa_public", f"{ee_name}-by-{ca_name}.bin", bytes([0]) + parts(e, n, ee.signature))

    # server_bodies: mode (bit 0 revocation required), then the body of each endpoint.
    def body(name, obj, mode=0):
        write("server_bodies", f"{name}.json.bin", bytes([mode]) + json.dumps(obj).encode())

    for name, d in dumps.items():
        body(name, d)
    b64 = lambda b: base64.b64encode(b).decode()
    digest = hashlib.sha256(CONTENT).hexdigest()
    body("signature-cms", {"digest_sha256": digest, "cms": b64(sigs[("sign", False)])}, 1)
    body("signature-data-cms", {"data": b64(CONTENT), "cms": b64(sigs[("sign", False)])})
    body("signature-raw", {"data": b64(CONTENT), "signature": b64(sigs[("auth", True)]),
                           "certificate": b64(fixture("jpki-holder-auth.der"))}, 1)
    body("login", {"challenge_id": "c1", "signature": b64(sigs[("auth", True)]),
                   "certificate": b64(fixture("jpki-holder-auth.der"))})
    body("age-text", {"over": 20, "text_dump": dumps["text-mynumber"]})
    body("age-face", {"over": 18, "at": "2025-06-01", "face_dump": dumps["face-mynumber"]})
    body("read-text", {"kind": "mynumber-text", "pin": "1234", "force": False})
    body("read-residence", {"kind": "residence", "card_number": "AB12345678CD"})
    body("read-unknown-field", {"kind": "residence", "pin": "9876", "extra": 1})
    print("seeds written under", HERE)


if __name__ == "__main__":
    main()
