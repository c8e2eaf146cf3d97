"""Evidence uploads: what is accepted, what is refused, how it is kept and who can read it."""

from __future__ import annotations

import io
import itertools
import zlib
from typing import Any
from unittest import mock

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from PIL import Image, ImageFile
from pypdf import PdfReader, PdfWriter

from identity.models import Evidence
from privacyportal import files, uploads
from requests.models import PrivacyRequest
from tests.factories import pdf_bytes, pdf_from_objects, pdf_stream
from tests.intake import send

PDF = pdf_bytes()


def image_bytes(fmt: str, *, exif: bool = False) -> bytes:
    out = io.BytesIO()
    picture = Image.new("RGB", (40, 30), (200, 30, 30))
    if exif:
        meta = Image.Exif()
        meta[0x8825] = {1: "N", 2: (51.0, 30.0, 0.0)}  # GPS
        meta[0x010F] = "SecretCam"
        picture.save(out, format=fmt, exif=meta)
    else:
        picture.save(out, format=fmt)
    return out.getvalue()


def upload(name: str, data: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data)


def test_a_pdf_is_accepted_and_stored_encrypted(settings: Any, tmp_path: Any) -> None:
    settings.PRIVATE_ROOT = tmp_path
    checked = uploads.check_upload(upload("Доверенность подписана.pdf", PDF))
    assert (checked.content_type, checked.name) == ("application/pdf", "Доверенность-подписана.pdf")
    stored, digest = files.store(checked)
    on_disk = (tmp_path / "evidence" / stored).read_bytes()
    assert b"%PDF" not in on_disk and PDF not in on_disk
    assert files.load(stored) == PDF and len(digest) == 64


def test_images_are_re_encoded_without_exif() -> None:
    original = image_bytes("JPEG", exif=True)
    assert b"SecretCam" in original
    checked = uploads.check_upload(upload("me.JPG", original))
    assert checked.content_type == "image/jpeg" and b"SecretCam" not in checked.data
    with Image.open(io.BytesIO(checked.data)) as again:
        assert again.size == (40, 30) and not again.getexif()
    assert uploads.check_upload(upload("scan.png", image_bytes("PNG"))).content_type == "image/png"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "drawing.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "PDF, JPEG or PNG",
        ),
        ("page.pdf", b"<html><body><script>alert(1)</script></body></html>", "PDF, JPEG or PNG"),
        (
            "polyglot.pdf",
            PDF + b"<html><script>alert(1)</script></html>\n%%EOF\n",
            "could not be accepted",
        ),
        ("not-ended.pdf", b"%PDF-1.4\n" + b"x" * 100, "could not be accepted"),
        ("mismatch.png", PDF, "PDF, JPEG or PNG"),
        ("cut.png", image_bytes("PNG")[:60], "could not be read"),
        ("empty.pdf", b"", "PDF, JPEG or PNG"),
        ("huge.pdf", b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024) + b"\n%%EOF\n", "larger than 10 MB"),
    ],
)
def test_dangerous_or_broken_files_are_refused(name: str, data: bytes, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        uploads.check_upload(upload(name, data))


def test_old_keys_still_decrypt_after_rotation(settings: Any, tmp_path: Any) -> None:
    # Keys of its own, not the suite's: what this test proves must not depend on what ran before it.
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PRIVATE_ROOT = tmp_path
    settings.ENCRYPTION_KEYS = [old_key]
    stored_before, _ = files.store(uploads.check_upload(upload("a.pdf", PDF)))
    settings.ENCRYPTION_KEYS = [new_key, old_key]  # a new key in front: it encrypts, both decrypt
    stored_after, _ = files.store(uploads.check_upload(upload("b.pdf", PDF)))
    assert files.load(stored_before) == PDF and files.load(stored_after) == PDF
    settings.ENCRYPTION_KEYS = [old_key]  # rolled back to the old list: the new file is unreadable, loudly
    with pytest.raises(InvalidToken):
        files.load(stored_after)


AGENT = {
    "requester_name": "Agent Smith", "requester_email": "agent@example.org", "relationship": "agent",
    "subject_name": "Charles Babbage", "subject_email": "cb@example.org", "country": "GB", "language": "en",
    "phone": "+44 20 7946 0000", "postal_address": "1 Example Road",
}  # fmt: skip


@pytest.mark.django_db
def test_an_agents_file_survives_a_form_that_failed_elsewhere(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    response = send(
        client,
        "erasure",
        {**AGENT, "requester_email": "oops", "permission": upload("permission.pdf", PDF)},
    )
    assert (
        response.status_code == 400
        and "Enter an email address in the correct format" in response.content.decode()
    )
    html = client.get("/requests/new/erasure/them/").content.decode()  # the page the file was sent from
    assert "We kept the file you sent" in html and "permission.pdf" in html
    assert send(client, "erasure", AGENT).status_code == 302  # no need to attach it again
    case = PrivacyRequest.objects.get()
    item = Evidence.objects.get()
    assert (item.privacy_request, item.kind) == (case, "agent_permission")
    assert list(case.events.values_list("verb", flat=True)) == ["submitted", "evidence_added"]


@pytest.mark.django_db
def test_an_agent_must_attach_permission_and_a_bad_file_says_why(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    missing = send(client, "erasure", AGENT).content.decode()
    assert "Attach the signed permission" in missing
    bad = send(client, "erasure", {**AGENT, "permission": upload("x.pdf", b"<html>")}).content.decode()
    assert "Send a PDF, JPEG or PNG file." in bad
    assert PrivacyRequest.objects.count() == 0 and Evidence.objects.count() == 0


@pytest.mark.django_db
def test_only_signed_in_staff_download_evidence_as_an_attachment(
    client: Client, dpo: Any, handler: Any, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    send(client, "erasure", {**AGENT, "permission": upload("permission.pdf", PDF)})
    item = Evidence.objects.get()
    url = f"/admin/evidence/{item.pk}/"
    assert Client().get(url).status_code == 302  # not signed in
    dpo.is_superuser = True
    dpo.save()
    device = TOTPDevice.objects.create(user=dpo, name="phone", confirmed=True)
    staff = Client()
    staff.post("/admin/login/", {"username": "dpo", "password": "correct horse battery staple",
                                 "otp_device": device.persistent_id, "otp_token": f"{totp(device.bin_key):06d}"})  # fmt: skip
    response = staff.get(url)
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Disposition"] == 'attachment; filename="permission.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert PrivacyRequest.objects.get().events.latest("seq").verb == "evidence_viewed"
    handler_device = TOTPDevice.objects.create(user=handler, name="phone", confirmed=True)
    other = Client()
    other.post("/admin/login/", {"username": "handler", "password": "correct horse battery staple",
                                 "otp_device": handler_device.persistent_id,
                                 "otp_token": f"{totp(handler_device.bin_key):06d}"})  # fmt: skip
    assert other.get(url).status_code == 404  # staff without the evidence permission


def test_a_truncated_image_is_refused_even_after_weasyprint_loosened_pillow() -> None:
    import weasyprint  # noqa: F401  (importing it sets ImageFile.LOAD_TRUNCATED_IMAGES = True)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    with pytest.raises(ValidationError, match="could not be read"):
        uploads.check_upload(SimpleUploadedFile("cut.png", image_bytes("PNG")[:60]))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # WeasyPrint's own setting is left as it was


def test_an_image_declaring_a_huge_canvas_is_refused_before_it_is_decoded() -> None:
    # A PNG of 13,000 x 13,000 one-colour pixels compresses to well under a megabyte; decoding it needs ~500 MB.
    out = io.BytesIO()
    Image.new("1", (13_000, 13_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 1024 * 1024
    decoding = mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded"))
    with decoding, pytest.raises(ValidationError, match="too large \\(169 megapixels; at most 40\\)"):
        uploads.check_upload(upload("bomb.png", out.getvalue()))
    ok = io.BytesIO()
    Image.new("RGB", (4960, 7016), (255, 255, 255)).save(ok, format="PNG")  # A4 at 600 dpi still goes through
    assert uploads.check_upload(upload("scan.png", ok.getvalue())).content_type == "image/png"


def test_a_json_extract_nested_deeper_than_python_can_read_is_a_clear_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000  # was a 500 (RecursionError)
    with pytest.raises(ValidationError, match="not a readable JSON file"):
        uploads.check_extract(upload("deep.json", deep))


# --- PDFs are parsed, and refused if they carry anything active ---------------------------------------------
# Every hostile file below went through the check before it parsed PDFs (it only looked at the raw bytes).


def one_page(
    *, catalog: bytes = b"", page: bytes = b"", more: tuple[bytes, ...] = (), content: bytes | None = None
) -> bytes:
    """A valid one-page PDF with extra entries in its catalog and page, and more objects numbered from 5."""
    return pdf_from_objects([
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> >> >> " + page + b" >>",
        content or pdf_stream(b"BT /F1 12 Tf 72 770 Td (I authorise my agent) Tj ET", compress=True),
        *more,
    ])  # fmt: skip


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_attachment() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(PDF))
    writer.add_attachment("invoice.bat", b"@echo off\r\ndel /q %USERPROFILE%\\Documents\r\n")
    return written(writer)


def locked(user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(2)))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm="AES-256")
    return written(writer)


def bomb() -> bytes:
    """A page whose content inflates from about 64 KB to 64 MB: more than the check will inflate."""
    squeezer = zlib.compressobj(9)
    blank = b" " * (1024 * 1024)
    data = b"".join(squeezer.compress(blank) for _ in range(64)) + squeezer.flush()
    assert len(data) < 100 * 1024
    return one_page(
        content=b"<< /Length %d /Filter /FlateDecode >>\nstream\n%s\nendstream" % (len(data), data)
    )


def long_chain(length: int) -> bytes:
    """Objects that each point to the next, `length` of them, hanging off the page."""
    chain = tuple(b"<< /Next %d 0 R >>" % (number + 1) for number in range(5, 5 + length - 1))
    return one_page(page=b"/Chain 5 0 R", more=(*chain, b"<< >>"))


def packed(*objects: bytes) -> bytes:
    """A PDF 1.5 whose objects (1 is the catalog) are all stored compressed in one object stream, found through
    a cross-reference stream: how Acrobat, qpdf and Ghostscript write them, and invisible to a byte search."""
    count = len(objects)
    header = b" ".join(
        b"%d %d" % (number, offset)
        for number, offset in zip(
            range(1, count + 1),
            itertools.accumulate((len(body) + 1 for body in objects[:-1]), initial=0),
            strict=True,
        )
    )
    content = header + b"\n" + b"\n".join(objects)
    out = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    stream_at = len(out)
    out += (
        b"%d 0 obj\n" % (count + 1)
        + pdf_stream(content, b" /Type /ObjStm /N %d /First %d" % (count, len(header) + 1), compress=True)
        + b"\nendobj\n"
    )
    xref_at = len(out)
    rows = [b"\x00\x00\x00\x00\x00\xff\xff"]
    rows += [b"\x02" + (count + 1).to_bytes(4, "big") + index.to_bytes(2, "big") for index in range(count)]
    rows += [
        b"\x01" + stream_at.to_bytes(4, "big") + b"\x00\x00",
        b"\x01" + xref_at.to_bytes(4, "big") + b"\x00\x00",
    ]
    out += (
        b"%d 0 obj\n" % (count + 2)
        + pdf_stream(b"".join(rows), b" /Type /XRef /Size %d /W [1 4 2] /Root 1 0 R" % (count + 3))
        + b"\nendobj\n"
    )
    out += b"startxref\n%d\n%%%%EOF\n" % xref_at
    return bytes(out)


PAGES = (
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
)
ACTIVE = "contains scripts, attached files or other active content"
HOSTILE_PDFS = [
    ("open-action-javascript", lambda: one_page(catalog=b"/OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >>"), ACTIVE),
    ("launch-link", lambda: one_page(page=b"/Annots [5 0 R]", more=(
        b"<< /Type /Annot /Subtype /Link /Rect [0 0 595 842] /A << /S /Launch /F (cmd.exe) >> >>",)), ACTIVE),
    ("page-additional-action", lambda: one_page(page=b"/AA << /O << /S /URI /URI (https://example.org/t) >> >>"), ACTIVE),
    ("html-in-compressed-stream", lambda: one_page(catalog=b"/Metadata 5 0 R", more=(
        pdf_stream(b"<html><body><script>alert(1)</script></body></html>", b" /Type /Metadata /Subtype /XML",
                   compress=True),)), ACTIVE),
    ("embedded-file", with_attachment, ACTIVE),
    ("document-javascript", lambda: one_page(catalog=b"/Names << /JavaScript 5 0 R >>", more=(
        b"<< /Names [(run) << /S /JavaScript /JS 6 0 R >>] >>",
        pdf_stream(b"app.launchURL('https://example.org')", compress=True))), ACTIVE),
    ("open-action-web-address", lambda: one_page(catalog=b"/OpenAction << /S /URI /URI (https://example.org) >>"), ACTIVE),
    ("submit-form", lambda: one_page(page=b"/Annots [<< /Subtype /Widget /Rect [0 0 1 1] /A << /S /SubmitForm"
                                          b" /F << /FS /URL /F (https://example.org/x) >> >> >>]"), ACTIVE),
    ("remote-go-to", lambda: one_page(page=b"/Annots [<< /Subtype /Link /Rect [0 0 1 1]"
                                           b" /A << /S /GoToR /F (\\\\\\\\host\\\\share\\\\x.pdf) /D [0 /Fit] >> >>]"), ACTIVE),
    ("xfa-form", lambda: one_page(catalog=b"/AcroForm << /Fields [] /XFA 5 0 R >>", more=(
        pdf_stream(b"<xdp:xdp xmlns:xdp='http://ns.adobe.com/xdp/'></xdp:xdp>", compress=True),)), ACTIVE),
    ("rich-media", lambda: one_page(page=b"/Annots [<< /Subtype /RichMedia /Rect [0 0 1 1] >>]"), ACTIVE),
    ("javascript-in-an-object-stream", lambda: packed(
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert\\(1\\)) >> >>", *PAGES), ACTIVE),
    ("password-protected", lambda: locked("secret"), "protected with a password"),
    ("decompression-bomb", bomb, "too large or too complex"),
    ("60000-object-chain", lambda: long_chain(60_000), "too large or too complex"),
    ("two-million-numbers-in-one-object", lambda: one_page(
        page=b"/Junk [" + b" ".join([b"[" + b"1 " * 40 + b"]"] * 50_000) + b"]"), "too large or too complex"),
    ("object-stream-of-a-million-numbers", lambda: packed(
        b"<< /Type /Catalog /Pages 2 0 R >>", *PAGES, b"[" + b"1 " * 1_000_000 + b"]"), "too large or too complex"),
    ("arrays-nested-5000-deep", lambda: one_page(page=b"/Deep " + b"[" * 5000 + b"]" * 5000), "could not be accepted"),
    ("garbage-between-header-and-end", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n",
     "could not be accepted"),
]  # fmt: skip


@pytest.mark.parametrize(("make", "message"), [(m, msg) for _, m, msg in HOSTILE_PDFS],
                         ids=[name for name, _, _ in HOSTILE_PDFS])  # fmt: skip
def test_a_pdf_with_active_content_or_beyond_the_limits_is_refused(make: Any, message: str) -> None:
    data = make()
    assert len(data) < uploads.MAX_BYTES and data.startswith(b"%PDF-") and b"%%EOF" in data[-2048:]
    assert not uploads._ACTIVE.search(data)  # nothing the byte check alone would have caught
    with pytest.raises(ValidationError, match=message):
        uploads.check_upload(upload("permission.pdf", data))


def test_a_chain_of_objects_within_the_limit_is_walked_without_recursion() -> None:
    # Deeper than Python's recursion limit, well under the object limit: accepted, and nothing blew the stack.
    assert uploads.check_upload(upload("chain.pdf", long_chain(5_000))).content_type == "application/pdf"


def test_a_pdf_from_weasyprint_is_accepted() -> None:
    import weasyprint

    html = (
        "<h1>Доверенность</h1><p>I, Ada Lovelace, authorise Agent Smith to act for me.</p>"
        '<p><a href="https://example.org/privacy">Privacy notice</a></p>'
        "<table><tr><th>System</th><th>Data</th></tr><tr><td>CRM</td><td>name, email</td></tr></table>"
        "<p style='break-before: page'>Signed.</p>"
    )
    data = weasyprint.HTML(string=html).write_pdf()
    assert data and len(PdfReader(io.BytesIO(data)).pages) == 2
    assert uploads.check_upload(upload("permission.pdf", data)).data == data


def test_a_multi_page_pdf_written_by_pypdf_is_accepted() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(pdf_bytes(3)))
    for page in writer.pages:
        page.compress_content_streams()  # FlateDecode content, as most producers write it
    writer.add_blank_page()
    writer.add_outline_item(title="Page 2", page_number=1)
    writer.add_metadata({"/Title": "Signed permission", "/Producer": "pypdf"})
    writer.open_destination = writer.pages[0]  # /OpenAction as a destination: opens at page 1, runs nothing
    data = written(writer)
    assert len(PdfReader(io.BytesIO(data)).pages) == 4
    assert uploads.check_upload(upload("scan.pdf", data)).data == data


def test_a_pdf_of_object_streams_is_read_through_them_and_accepted() -> None:
    data = packed(b"<< /Type /Catalog /Pages 2 0 R /OpenAction [3 0 R /Fit] >>", *PAGES)
    assert len(PdfReader(io.BytesIO(data), strict=True).pages) == 1
    assert uploads.check_upload(upload("scan.pdf", data)).data == data


def test_a_pdf_locked_only_against_editing_opens_without_a_password_and_is_accepted() -> None:
    # Bank statements and bills often come like this: encrypted, with an empty password to open them.
    data = locked("")
    assert PdfReader(io.BytesIO(data)).is_encrypted
    assert uploads.check_upload(upload("statement.pdf", data)).data == data


def test_a_pdf_still_being_checked_at_the_deadline_is_refused() -> None:
    late = mock.patch.object(uploads, "PDF_MAX_SECONDS", -1.0)
    with late, pytest.raises(ValidationError, match="too large or too complex"):
        uploads.check_upload(upload("scan.pdf", pdf_bytes(3)))
    assert uploads.check_upload(upload("scan.pdf", pdf_bytes(3))).data == pdf_bytes(3)
