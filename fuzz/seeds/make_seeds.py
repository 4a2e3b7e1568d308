#!/usr/bin/env python3
"""Writes the seed corpora under fuzz/seeds/<target>/ (committed; fuzz/corpus/ is not).

Every seed is real-shaped: the byte layouts come from the fact sheets in the steering repo,
shared/spec/residence-card.md (§1 commands, §3 files, §7 vectors) and
shared/spec/mynumber-card.md (§1-5). Key material, certificates and images are stand-ins of the
right length, generated deterministically here; no card data is copied. Re-running this script
rewrites the same files byte for byte:

    python3 fuzz/seeds/make_seeds.py
"""
import hashlib
import os
import shutil

HERE = os.path.dirname(os.path.abspath(__file__))


def h(s):
    return bytes.fromhex(s.replace(" ", ""))


def filler(n, label):
    """n deterministic pseudo-random bytes (stand-in for ciphertext, images, keys)."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(f"{label}:{i}".encode()).digest()
        i += 1
    return out[:n]


def length(n):
    if n < 0x80:
        return bytes([n])
    for k in range(1, 5):
        if n < 256 ** k:
            return bytes([0x80 | k]) + n.to_bytes(k, "big")
    raise ValueError(n)


def tlv(tag, value):
    return h(tag) + length(len(value)) + value


# ---------------------------------------------------------------- command APDUs
DI_SHA256 = h("3031300d060960864801650304020105000420") + hashlib.sha256(b"jpid seed").digest()
assert len(DI_SHA256) == 51

E_IFD = h("937745C20883A1BAD1E04193722A1592378F81A8F1DC589157AEB0F7544FA1BA")
M_IFD = h("1AD7FB6A3389E017")
E_ICC = h("5860775B4D032CC564BA204B8EA868F694A74E7475A8FEF240588BDA1AF496CE")
M_ICC = h("59388FD6CD45248B")

commands = {
    # residence-card.md §1 (first generation)
    "rc-select-mf": h("00 A4 00 00 02 3F00"),
    "rc-read-common-data": h("00 B0 8B 00 06"),
    "rc-read-card-type": h("00 B0 8A 00 03"),
    "rc-get-challenge": h("00 84 00 00 08"),
    "rc-mutual-authenticate": h("00 82 00 00 28") + E_IFD + M_IFD + h("00"),
    "rc-verify-card-number-sm": h("08 20 00 86 13 86 11 01 1AA82973DB959A811F9711D728F0EEF6"),
    "rc-select-df1": h("00 A4 04 0C 10 D392F0004F02 00000000000000000000"),
    "rc-sm-read-front-image-extended": h("08 B0 85 00 00 00 04 96 02 00 00 00 00"),
    "rc-sm-read-face-image-extended": h("08 B0 86 00 00 00 04 96 02 00 00 00 00"),
    "rc-sm-read-chunk-96-0100": h("08 B0 85 00 04 96 02 01 00 00"),
    "rc2-sm-read-extended": h("08 B0 84 00 00 00 04 96 02 00 00 00 00"),
    "rc2-plain-read-extended-le": h("00 B0 81 00 00 00 00"),
    "rc-plain-read-continuation": h("00 B0 01 00 00"),
    # mynumber-card.md §1-6
    "mn-select-jpki-ap": h("00 A4 04 0C 0A D392F000260100000001"),
    "mn-select-text-ap": h("00 A4 04 0C 0A D3921000310001010408"),
    "mn-select-ef-0018": h("00 A4 02 0C 02 0018"),
    "mn-verify-retries-case1": h("00 20 00 80"),
    "mn-verify-auth-pin": h("00 20 00 80 04") + b"1234",
    "mn-verify-sign-password-sfi": h("00 20 00 9B 06") + b"ABC123",
    "mn-verify-collation-b": h("00 20 00 80 0E") + b"55021720352285",
    "mn-change-pin": h("00 24 01 80 04") + b"4321",
    "mn-compute-signature": h("80 2A 00 80 33") + DI_SHA256 + h("00"),
    "mn-compute-signature-sfi-97": h("80 2A 00 97 33") + DI_SHA256 + h("00"),
    "mn-compute-signature-extended": h("80 2A 00 80 00 00 33") + DI_SHA256 + h("00 00"),
    "mn-read-binary-le-256": h("00 B0 00 00 00"),
    "mn-read-binary-sfi-offset": h("00 B0 81 03 0C"),
    "mn-read-cert-header": h("00 B0 8A 00 07"),
    "mn-read-whole-cert-extended": h("00 B0 8A 00 00 06 9E"),
    "mn-read-binary-le-65536": h("00 B0 00 00 00 00 00"),
    "mn-read-record": h("00 B2 01 0C 00"),
    "mn-get-data-atr": h("00 CA 5F 51 00"),
    "mn-get-challenge-256": h("00 84 00 00 00"),
    "mn-internal-authenticate": h("00 88 00 99 20") + filler(32, "ia") + h("00"),
    "mn-set-public-ic-key-extended-lc": h("80 A2 00 00 00 01 33") + filler(307, "pubkey"),
    "mn-last-command-indicator": h("80 FC 00 00"),
    "mn-get-response": h("00 C0 00 00 10"),
    # malformed neighbours
    "bad-short-lc-zero": h("00 B0 00 00 00 00"),
    "bad-extended-lc-zero": h("00 B0 00 00 00 00 00 01"),
    "bad-lc-mismatch": h("00 A4 04 00 05 01 02"),
    "bad-too-short": h("00 A4 04"),
}

# ---------------------------------------------------------------- response APDUs
token = b"JPKIAPICCTOKEN2".ljust(32, b" ")
responses = {
    "sw-9000": h("9000"),
    "sw-63c2-wrong-pin": h("63C2"),
    "sw-63c0-last-try": h("63C0"),
    "sw-6300-verification-failed": h("6300"),
    "sw-6984-blocked": h("6984"),
    "sw-6982-security-status": h("6982"),
    "sw-6a82-file-not-found": h("6A82"),
    "sw-6a86-p1p2": h("6A86"),
    "sw-6b00-offset": h("6B00"),
    "sw-6282-eof": h("6282"),
    "sw-6110-bytes-available": h("6110"),
    "sw-6c05-wrong-le": h("6C05"),
    "sw-6700-wrong-length": h("6700"),
    "sw-6985": h("6985"),
    "sw-6988-sm-incorrect": h("6988"),
    "sw-66f1-other": h("66F1"),
    "rc-card-type-gen1": h("C1 01 31 9000"),
    "rc-card-type-gen2": h("C1 02 30 35 9000"),
    "rc-get-challenge": h("5A6E7E385162B7A3 9000"),
    "rc-mutual-authenticate": E_ICC + M_ICC + h("9000"),
    "rc-sm-front-image": h("86 82 1B 61 01") + filler(7008, "front-ct") + h("9000"),
    "mn-my-number": h("FF100C353337363836363737313838FFFF 9000"),
    "mn-token-info": token + h("9000"),
    "mn-signature-256": filler(256, "sig") + h("9000"),
    "mn-partial-then-6282": filler(100, "part") + h("6282"),
}

# ---------------------------------------------------------------- TLV files
cert_like = tlv("30", tlv("30", filler(500, "tbs")) + tlv("30", h("06092A864886F70D01010B0500"))
                + tlv("03", b"\x00" + filler(256, "certsig")))
rc_signature_file = tlv("DA", filler(256, "checkcode")) + tlv("DB", cert_like.ljust(1200, b"\x00"))
assert rc_signature_file[:4] == h("DA820100") and rc_signature_file[260:264] == h("DB8204B0")
assert len(rc_signature_file) == 1464

address = "東京都千代田区霞が関１－１－１".encode("utf-8")
rc_address_file = (tlv("D2", b"20240401") + tlv("D3", b"131016") + tlv("D4", address)).ljust(342, b"\x00")

name = "黒桐　幹也".encode("utf-8")
addr = "東京都清瀬市観布子南１２－７－２０２".encode("utf-8")
inner = [tlv("DF22", name), tlv("DF23", addr), tlv("DF24", b"19800217"), tlv("DF25", b"1")]
offs = []
pos = 3 + 3 + 8  # FF 20 65, DF21 header, 8 offset bytes
for t in inner:
    offs.append(pos)
    pos += len(t)
basic4 = tlv("FF20", tlv("DF21", b"".join(o.to_bytes(2, "big") for o in offs)) + b"".join(inner))
assert basic4.hex().startswith("ff2065df2108000e002000590064df220fe9bb92"), basic4.hex()
assert len(basic4) == 104

integrity = tlv("FF30", tlv("DF31", hashlib.sha256(h("FF100C353337363836363737313838FFFF")).digest())
                + tlv("DF32", hashlib.sha256(b"".join(inner)).digest())
                + tlv("DF33", filler(256, "integrity-sig")))
assert integrity[:5] == h("FF3082014B") and len(integrity) == 336

key_id = b"6000033" + h("0805") + b"001" + h("00000001")
assert len(key_id) == 16
cvc_body = key_id + b"1322121" + h("0805") + b"000" + h("00000000") + h("90 03 010001") + tlv("91", filler(256, "modulus"))
cvc = tlv("7F21", tlv("5F4E", cvc_body) + tlv("5F37", filler(256, "cvc-sig")))
assert cvc[:5] == h("7F21820233") and len(cvc) == 568

ap_basic = tlv("FF40", tlv("DF41", h("01030E01")) + tlv("DF42", key_id) + tlv("DF43", filler(128, "df43")))
sm_key = tlv("A1", h("90 03 010001") + tlv("91", filler(256, "sm-modulus")))
card_key = tlv("FF50", tlv("DF51", h("90 03 010001") + tlv("91", filler(256, "card-mod"))) + tlv("DF52", filler(256, "df52")))

rc2_printed = (tlv("C5", b"20350217") + tlv("C6", b"19900102") + tlv("C7", b"1") + tlv("C8", b"USA")
               + tlv("C9", b"01") + tlv("CE", b"03") + tlv("CA", b"1") + tlv("CB", b"20250101")
               + tlv("CC", b"1") + tlv("CD", b"20280101"))

deep = tlv("04", b"")
for _ in range(20):
    deep = tlv("30", deep)
nest15 = tlv("04", b"\x01")
for _ in range(15):
    nest15 = tlv("A0", nest15)

tlvs = {
    "rc-card-type-gen1": h("C1 01 31"),
    "rc-card-type-gen2": h("C1 02 30 35"),
    "rc-card-type-gen2-zero-padded": h("C1 02 30 35 00 00"),
    "rc-common-data": h("C0 04") + b"0001",
    "rc-signature-file-da-db": rc_signature_file,
    "rc-address-file-zero-padded": rc_address_file,
    "rc-permission-d5": tlv("D5", "就労不可".encode("utf-8")).ljust(122, b"\x00"),
    "rc-update-status-d7": h("D7 01 30"),
    "rc-face-d1-short": tlv("D1", filler(300, "jp2")),
    "rc-front-image-d0-7000": tlv("D0", filler(7000, "tiff")),
    "rc-sm-response-86": h("86 82 1B 61 01") + filler(7008, "front-ct"),
    "rc-sm-read-data-object": h("96 02 00 00"),
    "rc2-printed-entries": rc2_printed,
    "rc2-address-image-dfd1": tlv("DFD1", filler(300, "addr-img")),
    # DF D1 82 ...: under TagRule::Ber the 82 continues the tag; TagRule::TwoByte reads DFD1.
    "rc2-dfd1-two-byte-rule": h("DFD1 82 0003 414243 0000"),
    "rc2-d0-d1-max-lengths": h("D0 82 09 C4") + filler(2500, "name-img") + h("D1 82 0B B8") + filler(3000, "face"),
    "mn-my-number-ff-filler": h("FF100C353337363836363737313838FFFF"),
    "mn-basic-four-ff20": basic4,
    "mn-basic-four-ff-padded": basic4 + b"\xff" * 24,
    "mn-integrity-ff30": integrity,
    "mn-cvc-7f21": cvc,
    "mn-ap-basic-info-ff40": ap_basic,
    "mn-sm-key-a1": sm_key,
    "mn-card-key-ff50": card_key,
    "mn-juki-record-011c": h("01 1C") + b"400000012719843" + b"13221" + b"20350217",
    "mn-jpki-flags": h("8F 8F 00"),
    "long-form-81": tlv("D1", filler(0x80, "l81")),
    "long-form-82": h("DA 82 01 00") + filler(256, "l82"),
    "long-form-83-nonminimal": h("D0 83 00 00 05 0102030405"),
    "long-form-84-nonminimal": h("D0 84 00 00 00 03 AABBCC"),
    "long-form-84-lying": h("D0 84 FFFFFFFF 00"),
    "long-form-85-refused": h("D0 85 0000000001 00"),
    "indefinite-refused": h("30 80 04 00 00 00"),
    "three-byte-tag": h("5F 8F 01 01 AA"),
    "four-byte-tag-refused": h("5F 8F 8F 01 01 AA"),
    "filler-between-and-after": h("00 C0 01 41 00 00 C1 01 31 FF FF FF"),
    # parse_one does not skip filler: it reads tag 00, length 00 (found by the tlv target when
    # its own re-parse check still used the iterator)
    "parse-one-tag-00": h("00 00 80 41 00 00 C1 01 31 FF FF FF"),
    "ff-tag-not-filler": h("FF 20 01 AA"),
    "deep-nesting-20": deep,
    "nesting-16-levels": nest15,
    "cert-like-der": cert_like,
}


def raw_tag_selector(tag_hex):
    """tlv_find selector for a verbatim tag: 80 + 1 byte, 81 + 2 bytes, 82 + 3 bytes."""
    t = h(tag_hex)
    return bytes([0x80 + len(t) - 1]) + t


tlv_find = {}
for name_, tag_hex, body in [
    ("rc-card-type-c1", "C1", tlvs["rc-card-type-gen2-zero-padded"]),
    ("rc-signature-db", "DB", rc_signature_file),
    ("rc-signature-da", "DA", rc_signature_file),
    ("rc-address-d4", "D4", rc_address_file),
    ("rc2-printed-cd", "CD", rc2_printed),
    ("mn-my-number-ff10", "FF10", tlvs["mn-my-number-ff-filler"]),
    ("mn-basic-four-ff20", "FF20", basic4),
    ("mn-basic-four-df24-top-level-miss", "DF24", basic4),
    ("mn-integrity-ff30", "FF30", integrity),
    ("mn-cvc-7f21", "7F21", cvc),
    ("mn-cvc-5f4e-top-level-miss", "5F4E", cvc),
    ("mn-ap-basic-ff40", "FF40", ap_basic),
    ("mn-card-key-ff50", "FF50", card_key),
    ("three-byte-tag", "5F8F01", h("5F 8F 01 01 AA")),
    ("trailing-object-after-single", "C1", h("C1 01 31 C2 01 32")),
    ("truncated-before-match", "C2", h("C1 05 31")),
    ("deep-nesting", "30", deep),
]:
    tlv_find[name_] = raw_tag_selector(tag_hex) + body
# selector 40: "the tag of the first top-level object"; 01: KNOWN[1] = C1; 13: KNOWN[19] = FF20
tlv_find["first-object-tag-basic-four"] = h("40") + basic4
tlv_find["known-c1"] = h("01 C1 01 31")
tlv_find["known-ff20"] = h("13") + basic4

targets = {
    "apdu_command": commands,
    "apdu_response": responses,
    "tlv": tlvs,
    "tlv_find": tlv_find,
}

for target, seeds in targets.items():
    d = os.path.join(HERE, target)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    for name_, data in seeds.items():
        with open(os.path.join(d, name_ + ".bin"), "wb") as f:
            f.write(data)
    print(f"{target}: {len(seeds)} seeds")
