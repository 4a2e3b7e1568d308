#!/usr/bin/env python3
"""Signs, alters and checks PDF files for jpid's tests, with pyHanko and poppler's pdfsig.

Usage:
  pdf_check.py make-doc OUT.pdf
      writes a one-page PDF showing "jpid test document" (hand-written objects and xref)
  pdf_check.py sign IN.pdf OUT.pdf --key KEY.pem --cert CERT.pem [--chain CA.pem ...]
                    [--md sha256|sha384] [--field Sig1]
      signs IN.pdf as an incremental update (adbe.pkcs7.detached; RSA or EC keys)
  pdf_check.py change-page IN.pdf OUT.pdf
      appends an unsigned incremental revision that draws "CHANGED" on page 1
  pdf_check.py validate FILE.pdf --root ROOT.pem [--root ...] [--other CA.pem ...]
      validates every signature with pyHanko against ROOT (PEM or DER), no network,
      no revocation checking
  pdf_check.py pdfsig FILE.pdf
      runs poppler's `pdfsig -nocert FILE.pdf` and parses what it prints

Every command prints one JSON object on stdout. Exit 0 when the command ran (an invalid
signature included), 2 on usage or I/O errors (then the object is {"error": "..."}).
PDF_CHECK_DEBUG=1 lets pyHanko's own log messages through to stderr.

pyHanko's vocabulary, as reported by `validate`:
- intact: the digest over the signed byte ranges matches the one signed.
- valid: the CMS signature over the signed attributes checks out with the signer's key.
- trusted: intact, valid, and a path to a --root was built (key usage checked too).
- coverage: ENTIRE_FILE (the byte ranges reach the end of the file), ENTIRE_REVISION
  (later incremental updates exist), CONTIGUOUS_BLOCK_FROM_START, UNCLEAR.
- modification_level: the difference analysis of revisions after the signed one: NONE,
  LTA_UPDATES (DSS/document timestamps), FORM_FILLING, ANNOTATIONS, OTHER (changes that
  are not allowed, e.g. new page content); null when no analysis was made.
- docmdp_ok: modification_level is within the /DocMDP permissions (null when unknown).
"""
import argparse
import json
import logging
import os
import re
import subprocess
import sys


class UsageError(Exception):
    """Bad arguments or unreadable/unwritable files: exit 2."""


def emit(obj, code=0):
    json.dump(obj, sys.stdout, sort_keys=False)
    sys.stdout.write("\n")
    sys.stdout.flush()
    sys.exit(code)


def read_bytes(path):
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise UsageError(f"cannot read {path}: {e.strerror or e}") from e


def write_bytes(path, data):
    try:
        with open(path, "wb") as f:
            f.write(data)
    except OSError as e:
        raise UsageError(f"cannot write {path}: {e.strerror or e}") from e


def need_pyhanko():
    try:
        import pyhanko  # noqa: F401
    except ImportError as e:
        raise UsageError(f"pyHanko missing ({e}): run scripts/ensure-packages test") from e


# ---------------------------------------------------------------- make-doc

def cmd_make_doc(args):
    text = b"jpid test document"
    content = b"BT /F1 24 Tf 72 720 Td (" + text + b") Tj ET\n"
    bodies = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]"
        b" /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"endstream",
    ]
    if getattr(args, "stray_annotation", False):
        # Object 6: an annotation no page lists yet (an author's leftover, or a trap).
        bodies.append(b"<< /Type /Annot /Subtype /FreeText /Rect [72 500 400 560]"
                      b" /Contents (VOID) /DA (/Helv 36 Tf 1 0 0 rg) /F 4 >>")
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for num, body in enumerate(bodies, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % num + body + b"\nendobj\n"
    xref_at = len(out)
    out += b"xref\n0 %d\n" % (len(bodies) + 1)
    out += b"0000000000 65535 f\r\n"  # every entry is exactly 20 bytes
    for off in offsets:
        out += b"%010d 00000 n\r\n" % off
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(bodies) + 1, xref_at)
    if getattr(args, "xref_stream", False):
        # The same document rewritten by pyHanko with a cross-reference stream (PDF 1.5+), as
        # many producers write today, so that signing is tested on both kinds.
        need_pyhanko()
        import io
        from pyhanko.pdf_utils.reader import PdfFileReader
        from pyhanko.pdf_utils.writer import copy_into_new_writer
        w = copy_into_new_writer(PdfFileReader(io.BytesIO(bytes(out))))
        w.stream_xrefs = True
        buf = io.BytesIO()
        w.write(buf)
        out = buf.getvalue()
    write_bytes(args.out, bytes(out))
    return {"ok": True}


# ---------------------------------------------------------------- sign

def cmd_sign(args):
    need_pyhanko()
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter

    for p in [args.key, args.cert, *args.chain]:
        read_bytes(p)  # usage error up front for a missing file
    signer = signers.SimpleSigner.load(args.key, args.cert, ca_chain_files=args.chain or None)
    if signer is None:
        raise UsageError(f"cannot load key {args.key} / certificate {args.cert}")
    data = read_bytes(args.input)
    import io
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    meta = signers.PdfSignatureMetadata(
        field_name=args.field,
        subfilter=SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
        md_algorithm=args.md,
    )
    out = io.BytesIO()
    if getattr(args, "visible", False):
        # A visible signature box over the page's text (pyHanko's default stamp).
        from pyhanko.sign.fields import SigFieldSpec, append_signature_field
        append_signature_field(writer, SigFieldSpec(sig_field_name=args.field or "Visible",
                                                    on_page=0, box=(60, 690, 400, 760)))
        meta = signers.PdfSignatureMetadata(
            field_name=args.field or "Visible",
            subfilter=SigSeedSubFilter.ADOBE_PKCS7_DETACHED,
            md_algorithm=args.md,
        )
    signers.sign_pdf(writer, meta, signer=signer, output=out)
    write_bytes(args.output, out.getvalue())
    return {"ok": True}


# ---------------------------------------------------------------- change-page

def cmd_change_page(args):
    need_pyhanko()
    import io
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(read_bytes(args.input)))
    font = generic.DictionaryObject({
        generic.NameObject("/Type"): generic.NameObject("/Font"),
        generic.NameObject("/Subtype"): generic.NameObject("/Type1"),
        generic.NameObject("/BaseFont"): generic.NameObject("/Helvetica-Bold"),
    })
    resources = generic.DictionaryObject({
        generic.NameObject("/Font"): generic.DictionaryObject({
            generic.NameObject("/FChanged"): writer.add_object(font),
        }),
    })
    stream = generic.StreamObject(stream_data=b"BT /FChanged 36 Tf 72 600 Td (CHANGED) Tj ET\n")
    if getattr(args, "disguise", False):
        # The review's shadow attack: the changed objects declare themselves signature fields,
        # as if a co-signer's signature needed them.
        for d in (font, stream):
            d[generic.NameObject("/FT")] = generic.NameObject("/Sig")
    writer.add_stream_to_page(0, writer.add_object(stream), resources=resources)
    out = io.BytesIO()
    writer.write(out)
    write_bytes(args.output, out.getvalue())
    return {"ok": True}


def cmd_list_annotation(args):
    """An update that adds object N, already in the file, to page 1's annotations (pyHanko
    rewrites the page)."""
    need_pyhanko()
    import io
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    writer = IncrementalPdfFileWriter(io.BytesIO(read_bytes(args.input)))
    page_ref = writer.find_page_for_modification(0)[0]
    page = page_ref.get_object()
    annots = page.get("/Annots", generic.ArrayObject())
    annots = generic.ArrayObject(list(annots.get_object()))
    annots.append(generic.IndirectObject(args.object, 0, writer))
    page[generic.NameObject("/Annots")] = annots
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    write_bytes(args.output, out.getvalue())
    return {"ok": True}


# ---------------------------------------------------------------- validate

def load_certs(paths):
    from pyhanko.keys import load_certs_from_pemder_data
    certs = []
    for p in paths:
        try:
            found = list(load_certs_from_pemder_data(read_bytes(p)))
        except UsageError:
            raise
        except Exception as e:
            raise UsageError(f"cannot parse certificate(s) in {p}: {e}") from e
        if not found:
            raise UsageError(f"no certificate in {p}")
        certs += found
    return certs


def enum_name(v):
    return None if v is None else getattr(v, "name", str(v))


def cmd_validate(args):
    need_pyhanko()
    import io
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import enumerate_sig_fields
    from pyhanko.sign.validation import EmbeddedPdfSignature, validate_pdf_signature
    from pyhanko_certvalidator import ValidationContext

    roots = load_certs(args.root)
    others = load_certs(args.other)
    data = read_bytes(args.file)
    try:
        reader = PdfFileReader(io.BytesIO(data))
        fields = list(enumerate_sig_fields(reader, filled_status=True))
    except Exception as e:  # unparseable file: the command ran, nothing validated
        return {"signatures": [], "all_valid_and_whole_file": False,
                "error": f"{type(e).__name__}: {e}"}

    # Like reader.embedded_signatures, but one signature whose CMS blob cannot even be parsed
    # is reported on its own instead of failing the whole listing. Signing order = order of
    # where each /ByteRange ends.
    found = []
    for name, sig_obj, field_ref in fields:
        try:
            br = sig_obj.get_object()["/ByteRange"]
            order = int(br[2]) + int(br[3])
        except Exception:
            order = len(data) + 1
        try:
            found.append((order, name, EmbeddedPdfSignature(reader, field_ref, name), None))
        except Exception as e:
            found.append((order, name, None, e))
    found.sort(key=lambda t: t[0])

    results = []
    for _, name, sig, err in found:
        entry = {"field": name, "intact": False, "valid": False, "trusted": False,
                 "coverage": None, "modification_level": None, "docmdp_ok": None,
                 "signer_subject": None, "summary": ""}
        if err is not None:
            entry["summary"] = f"error: {type(err).__name__}: {err}"
            results.append(entry)
            continue
        try:
            entry["signer_subject"] = sig.signer_cert.subject.human_friendly
        except Exception:
            pass
        try:
            # A fresh context per signature; no fetching and soft-fail revocation mode,
            # so missing CRL/OCSP data is not an error and nothing is looked up online.
            vc = ValidationContext(trust_roots=roots, other_certs=others,
                                   allow_fetching=False, revocation_mode="soft-fail")
            st = validate_pdf_signature(sig, vc)
            entry.update(
                intact=bool(st.intact),
                valid=bool(st.valid),
                trusted=bool(st.trusted),
                coverage=enum_name(st.coverage),
                modification_level=enum_name(st.modification_level),
                docmdp_ok=st.docmdp_ok,
                signer_subject=st.signing_cert.subject.human_friendly,
                summary=st.summary(),
            )
            if st.trust_problem_indic is not None:
                entry["summary"] += f" trust_problem={enum_name(st.trust_problem_indic)}"
        except Exception as e:
            entry["valid"] = False
            entry["summary"] = f"error: {type(e).__name__}: {e}"
        results.append(entry)

    ok = bool(results) and all(r["intact"] and r["valid"] and r["trusted"] for r in results) \
        and results[-1]["coverage"] == "ENTIRE_FILE"
    return {"signatures": results, "all_valid_and_whole_file": ok}


# ---------------------------------------------------------------- pdfsig

# What poppler 22.12's pdfsig (`pdfsig -nocert FILE`) prints, per signature:
#   Digital Signature Info of: FILE
#   Signature #1:
#     - Signature Field Name: Sig1
#     - Signer Certificate Common Name: jpid test leaf RSA
#     - Signer full Distinguished Name: CN=jpid test leaf RSA,O=jpid test
#     - Signing Time: Jan 01 2025 12:00:00
#     - Signing Hash Algorithm: SHA-256
#     - Signature Type: adbe.pkcs7.detached
#     - Signed Ranges: [0 - 1234], [5678 - 9012]
#     - Total document signed            (or: - Not total document signed)
#     - Signature Validation: Signature is Valid.
#                             (or: Digest Mismatch. / Signature is Invalid. / ...)
#     - Certificate Validation: ...      (absent with -nocert)
# A file without signatures: "File 'FILE' does not contain any signatures" (exit 2).
# -nocert skips the certificate (trust) check, which would need an NSS database.
SIG_START = re.compile(r"^Signature #(\d+):\s*$")
FIELD = re.compile(r"^\s*-\s*(.+?):\s*(.*?)\s*$")


def cmd_pdfsig(args):
    read_bytes(args.file)
    try:
        proc = subprocess.run(["pdfsig", "-nocert", args.file], capture_output=True,
                              text=True, errors="replace", timeout=120)
    except FileNotFoundError as e:
        raise UsageError("pdfsig missing: run scripts/ensure-packages test") from e
    raw = proc.stdout + proc.stderr
    sigs = []
    cur = None
    for line in proc.stdout.splitlines():
        m = SIG_START.match(line)
        if m:
            cur = {"valid": False, "whole_document": False, "signer": None,
                   "field": None, "validation": None, "type": None}
            sigs.append(cur)
            continue
        if cur is None:
            continue
        stripped = line.strip()
        if stripped == "- Total document signed":
            cur["whole_document"] = True
            continue
        if stripped == "- Not total document signed":
            cur["whole_document"] = False
            continue
        m = FIELD.match(line)
        if not m:
            continue
        key, value = m.group(1), m.group(2)
        if key == "Signature Validation":
            cur["validation"] = value
            cur["valid"] = value == "Signature is Valid."
        elif key == "Signer Certificate Common Name":
            cur["signer"] = value
        elif key == "Signer full Distinguished Name" and cur["signer"] is None:
            cur["signer"] = value
        elif key == "Signature Field Name":
            cur["field"] = value
        elif key == "Signature Type":
            cur["type"] = value
    return {"signatures": sigs, "exit_code": proc.returncode, "raw": raw}


# ---------------------------------------------------------------- main

class Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        emit({"error": f"usage: {message}"}, 2)


def cmd_dup_xref(args):
    """The review's parser-differential case: an update that writes a new object 5 (page 1's
    content, forged) and points an unused number's cross-reference entry at the old object 5,
    so that a reader filing objects by their header, not their entry, keeps the old one."""
    import re
    data = read_bytes(args.input)
    old = re.search(rb"(?m)^5 0 obj", data)
    starts = re.findall(rb"startxref\s+(\d+)", data)
    if not old or not starts:
        raise UsageError("the input has no object 5 or no startxref")
    content = b"BT /F1 24 Tf 72 720 Td (FORGED) Tj ET\n"
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    new5 = len(out)
    out += b"5 0 obj\n<< /Length %d >>\nstream\n" % len(content) + content + b"endstream\nendobj\n"
    xref = len(out)
    out += b"xref\n5 1\n%010d 00000 n\r\n20 1\n%010d 00000 n\r\n" % (new5, old.start())
    out += b"trailer\n<< /Size 21 /Root 1 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n" % (starts[-1], xref)
    write_bytes(args.output, bytes(out))
    emit({"ok": True})


# A translation of 2**34 points and one 816 points further are the same 32-bit float: a
# reader keeping reals as f32 (lopdf) cannot tell them apart, a viewer reading doubles can.
FAR = b"17179869184.0"
FAR_NUDGED = b"17179870000.0"


def far_form(e):
    text = (b"BT /F1 24 Tf -17179869112.0 720 Td (SIGNED: pay 100 yen) Tj ET\n"
            b"BT /F1 24 Tf -17179869928.0 680 Td (NUDGED: pay 1000000 yen) Tj ET\n")
    return (b"<< /Type /XObject /Subtype /Form /BBox [-17179879184.0 0 -17179859184.0 792] "
            b"/Matrix [1 0 0 1 %s 0] /Resources << /Font << /F1 4 0 R >> >> /Length %d >>\n"
            b"stream\n" % (e, len(text)) + text + b"\nendstream")


def cmd_far_doc(args):
    """A one-page PDF drawing form XObject 6 moved 2**34 points away and back: only the first
    line lands on the page."""
    page = b"q /Fm1 Do Q\n"
    bodies = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font "
           b"<< /F1 4 0 R >> /XObject << /Fm1 6 0 R >> >> /Contents 5 0 R >>",
        4: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        5: b"<< /Length %d >>\nstream\n" % len(page) + page + b"\nendstream",
        6: far_form(FAR),
    }
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    at = {}
    for n in range(1, 7):
        at[n] = len(out)
        out += b"%d 0 obj\n" % n + bodies[n] + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 7\n0000000000 65535 f\r\n"
    out += b"".join(b"%010d 00000 n\r\n" % at[n] for n in range(1, 7))
    out += b"trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % xref
    write_bytes(args.output, bytes(out))
    emit({"ok": True})


def cmd_nudge_real(args):
    """An update rewriting object 6 of a far-doc with the translation 816 points further: the
    second line lands on the page instead of the first."""
    import re
    data = read_bytes(args.input)
    starts = re.findall(rb"startxref\s+(\d+)", data)
    size = re.findall(rb"/Size (\d+)", data)
    if not starts or not size:
        raise UsageError("the input has no startxref or /Size")
    out = bytearray(data)
    if not out.endswith(b"\n"):
        out += b"\n"
    at = len(out)
    out += b"6 0 obj\n" + far_form(FAR_NUDGED) + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n6 1\n%010d 00000 n\r\n" % at
    out += b"trailer\n<< /Size %s /Root 1 0 R /Prev %s >>\nstartxref\n%d\n%%%%EOF\n" % (
        max(size, key=int), starts[-1], xref)
    write_bytes(args.output, bytes(out))
    emit({"ok": True})


def cmd_swap_signer(args):
    """Rewrites the CMS of the file's last signature (inside /Contents, which no signature
    covers): adds OTHER's certificate to the CMS certificates, and with --name-it also makes
    the signer identifier name OTHER. The advisory case of a verifier that checks the signature
    with one certificate and reports, or validates the chain of, another."""
    import re
    from asn1crypto import cms, x509, pem

    data = read_bytes(args.input)
    ranges = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", data)
    if not ranges:
        raise UsageError("no /ByteRange in the file")
    _, b, c, _ = (int(x) for x in ranges[-1])
    hole = data[b + 1 : c - 1]
    der = bytes.fromhex(hole.decode("ascii"))
    info = cms.ContentInfo.load(der)
    signed = info["content"]
    raw = read_bytes(args.cert)
    if pem.detect(raw):
        _, _, raw = pem.unarmor(raw)
    other = x509.Certificate.load(raw)
    certs = list(signed["certificates"]) if signed["certificates"].native is not None else []
    certs.append(cms.CertificateChoices(name="certificate", value=other))
    signed["certificates"] = certs
    if args.name_it:
        si = signed["signer_infos"][0]
        si["sid"] = cms.SignerIdentifier(
            name="issuer_and_serial_number",
            value=cms.IssuerAndSerialNumber(
                {"issuer": other.issuer, "serial_number": other.serial_number}
            ),
        )
    out = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump(force=True)
    new_hex = out.hex().upper().encode("ascii")
    if len(new_hex) > len(hole):
        raise UsageError("the rewritten CMS does not fit the reserved /Contents")
    new_hex = new_hex + b"0" * (len(hole) - len(new_hex))
    write_bytes(args.output, data[: b + 1] + new_hex + data[c - 1 :])
    emit({"ok": True})


def main():
    p = Parser(description="PDF signing and checking helper for jpid's tests")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=Parser)

    s = sub.add_parser("make-doc")
    s.add_argument("out")
    s.add_argument("--xref-stream", action="store_true",
                   help="write a cross-reference stream instead of a table")
    s.add_argument("--stray-annotation", action="store_true",
                   help="add object 6, an annotation no page lists")
    s.set_defaults(fn=cmd_make_doc)

    s = sub.add_parser("list-annotation")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--object", type=int, required=True)
    s.set_defaults(fn=cmd_list_annotation)

    s = sub.add_parser("sign")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--key", required=True)
    s.add_argument("--cert", required=True)
    s.add_argument("--chain", action="append", default=[])
    s.add_argument("--md", choices=["sha256", "sha384"], default="sha256")
    s.add_argument("--field", default="Sig1")
    s.add_argument("--visible", action="store_true",
                   help="a visible signature box over the page's first line")
    s.set_defaults(fn=cmd_sign)

    s = sub.add_parser("change-page")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--disguise", action="store_true",
                   help="the changed objects claim to be signature fields (/FT /Sig)")
    s.set_defaults(fn=cmd_change_page)

    s = sub.add_parser("validate")
    s.add_argument("file")
    s.add_argument("--root", action="append", required=True)
    s.add_argument("--other", action="append", default=[])
    s.set_defaults(fn=cmd_validate)

    s = sub.add_parser("dup-xref")
    s.add_argument("input")
    s.add_argument("output")
    s.set_defaults(fn=cmd_dup_xref)

    s = sub.add_parser("swap-signer")
    s.add_argument("input")
    s.add_argument("output")
    s.add_argument("--cert", required=True)
    s.add_argument("--name-it", action="store_true")
    s.set_defaults(fn=cmd_swap_signer)

    s = sub.add_parser("far-doc")
    s.add_argument("output")
    s.set_defaults(fn=cmd_far_doc)

    s = sub.add_parser("nudge-real")
    s.add_argument("input")
    s.add_argument("output")
    s.set_defaults(fn=cmd_nudge_real)

    s = sub.add_parser("pdfsig")
    s.add_argument("file")
    s.set_defaults(fn=cmd_pdfsig)

    args = p.parse_args()
    # pyHanko logs failed path building etc. with tracebacks; the JSON says it already.
    if not os.environ.get("PDF_CHECK_DEBUG"):
        logging.disable(logging.CRITICAL)
    try:
        result = args.fn(args)
    except UsageError as e:
        print(f"pdf_check: {e}", file=sys.stderr)
        emit({"error": str(e)}, 2)
    except Exception as e:  # e.g. an input pyHanko cannot parse for sign/change-page
        print(f"pdf_check: {type(e).__name__}: {e}", file=sys.stderr)
        emit({"error": f"{type(e).__name__}: {e}"}, 2)
    emit(result, 0)


if __name__ == "__main__":
    main()
