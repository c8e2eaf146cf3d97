"""Evidence uploads: what is accepted, what is refused, how it is kept and who can read it."""

from __future__ import annotations

import io
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

from identity import evidence
from identity.models import Evidence
from requests.models import PrivacyRequest

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


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
    checked = evidence.check_upload(upload("Доверенность подписана.pdf", PDF))
    assert (checked.content_type, checked.name) == ("application/pdf", "Доверенность-подписана.pdf")
    stored, digest = evidence.store(checked)
    on_disk = (tmp_path / "evidence" / stored).read_bytes()
    assert b"%PDF" not in on_disk and PDF not in on_disk
    assert evidence.load(stored) == PDF and len(digest) == 64


def test_images_are_re_encoded_without_exif() -> None:
    original = image_bytes("JPEG", exif=True)
    assert b"SecretCam" in original
    checked = evidence.check_upload(upload("me.JPG", original))
    assert checked.content_type == "image/jpeg" and b"SecretCam" not in checked.data
    with Image.open(io.BytesIO(checked.data)) as again:
        assert again.size == (40, 30) and not again.getexif()
    assert evidence.check_upload(upload("scan.png", image_bytes("PNG"))).content_type == "image/png"


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
            PDF[:-7] + b"<html><script>alert(1)</script></html>\n%%EOF\n",
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
        evidence.check_upload(upload(name, data))


def test_old_keys_still_decrypt_after_rotation(settings: Any, tmp_path: Any) -> None:
    # Keys of its own, not the suite's: what this test proves must not depend on what ran before it.
    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.PRIVATE_ROOT = tmp_path
    settings.ENCRYPTION_KEYS = [old_key]
    stored_before, _ = evidence.store(evidence.check_upload(upload("a.pdf", PDF)))
    settings.ENCRYPTION_KEYS = [new_key, old_key]  # a new key in front: it encrypts, both decrypt
    stored_after, _ = evidence.store(evidence.check_upload(upload("b.pdf", PDF)))
    assert evidence.load(stored_before) == PDF and evidence.load(stored_after) == PDF
    settings.ENCRYPTION_KEYS = [old_key]  # rolled back to the old list: the new file is unreadable, loudly
    with pytest.raises(InvalidToken):
        evidence.load(stored_after)


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
    response = client.post(
        "/requests/new/erasure/",
        {**AGENT, "requester_email": "oops", "permission": upload("permission.pdf", PDF)},
    )
    html = response.content.decode()
    assert response.status_code == 400 and "We kept the file you sent" in html and "permission.pdf" in html
    assert client.post("/requests/new/erasure/", AGENT).status_code == 302  # no need to attach it again
    case = PrivacyRequest.objects.get()
    item = Evidence.objects.get()
    assert (item.request, item.kind) == (case, "agent_permission")
    assert list(case.events.values_list("verb", flat=True)) == ["submitted", "evidence_added"]


@pytest.mark.django_db
def test_an_agent_must_attach_permission_and_a_bad_file_says_why(
    client: Client, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    missing = client.post("/requests/new/erasure/", AGENT).content.decode()
    assert "Attach the signed permission" in missing
    bad = client.post(
        "/requests/new/erasure/", {**AGENT, "permission": upload("x.pdf", b"<html>")}
    ).content.decode()
    assert "Send a PDF, JPEG or PNG file." in bad
    assert PrivacyRequest.objects.count() == 0 and Evidence.objects.count() == 0


@pytest.mark.django_db
def test_only_signed_in_staff_download_evidence_as_an_attachment(
    client: Client, dpo: Any, handler: Any, settings: Any, tmp_path: Any
) -> None:
    settings.PRIVATE_ROOT = tmp_path
    client.post("/requests/new/erasure/", {**AGENT, "permission": upload("permission.pdf", PDF)})
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
        evidence.check_upload(SimpleUploadedFile("cut.png", image_bytes("PNG")[:60]))
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # WeasyPrint's own setting is left as it was


def test_an_image_declaring_a_huge_canvas_is_refused_before_it_is_decoded() -> None:
    # A PNG of 13,000 x 13,000 one-colour pixels compresses to well under a megabyte; decoding it needs ~500 MB.
    out = io.BytesIO()
    Image.new("1", (13_000, 13_000)).save(out, format="PNG")
    assert len(out.getvalue()) < 1024 * 1024
    decoding = mock.patch.object(ImageFile.ImageFile, "load", side_effect=AssertionError("decoded"))
    with decoding, pytest.raises(ValidationError, match="too large \\(169 megapixels; at most 40\\)"):
        evidence.check_upload(upload("bomb.png", out.getvalue()))
    ok = io.BytesIO()
    Image.new("RGB", (4960, 7016), (255, 255, 255)).save(ok, format="PNG")  # A4 at 600 dpi still goes through
    assert evidence.check_upload(upload("scan.png", ok.getvalue())).content_type == "image/png"


def test_a_json_extract_nested_deeper_than_python_can_read_is_a_clear_error() -> None:
    deep = b"[" * 100_000 + b"]" * 100_000  # was a 500 (RecursionError)
    with pytest.raises(ValidationError, match="not a readable JSON file"):
        evidence.check_extract(upload("deep.json", deep))
