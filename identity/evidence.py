"""Evidence files: checked by content, images re-encoded, encrypted at rest, stored outside MEDIA_ROOT.

Accepted: PDF, JPEG, PNG up to 10 MB. The extension must agree with the content; a PDF must end like a
PDF and carry no HTML or script (polyglots are refused); images are decoded and re-encoded with Pillow,
which drops EXIF and anything hidden after the image data. Files are encrypted with MultiFernet
(ENCRYPTION_KEYS; the first key encrypts, every key decrypts, so keys rotate without downtime).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, UnidentifiedImageError

MAX_BYTES = 10 * 1024 * 1024
# Checked from the image's header before any pixel is decoded: a small compressed file can declare a huge
# canvas (a 481 KB PNG of 13,000 x 13,000 took a worker to 1.4 GB). 40 megapixels holds a phone photo and an A4
# page scanned at 600 dpi, and decodes in about 160 MB; Pillow's own limit (89 MP) is far above that.
MAX_PIXELS = 40_000_000
EXTENSIONS = {"application/pdf": {".pdf"}, "image/jpeg": {".jpg", ".jpeg"}, "image/png": {".png"}}
CANONICAL_EXTENSION = {
    "application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png",
    "text/csv": ".csv", "application/json": ".json", "text/plain": ".txt",
}  # fmt: skip
# Extracts staff export from company systems may also be text: CSV, JSON or plain text in UTF-8.
TEXT_EXTENSIONS = {".csv": "text/csv", ".json": "application/json", ".txt": "text/plain"}
# Markup that turns a "PDF" into something a browser would render as a page.
_ACTIVE = re.compile(rb"<\s*(?:html|script|body|svg|iframe|!doctype)|javascript:", re.IGNORECASE)


@dataclass(frozen=True)
class CheckedFile:
    name: str
    content_type: str
    data: bytes


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def _safe_name(name: str, content_type: str) -> str:
    stem = Path(name or "file").stem
    stem = re.sub(r"[^\w.-]+", "-", stem, flags=re.UNICODE).strip("-.")[:80] or "file"
    return stem + CANONICAL_EXTENSION[content_type]


@contextmanager
def _strict_images() -> Iterator[None]:
    """Refuse truncated images even where WeasyPrint, once imported, told Pillow to accept them."""
    before = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        yield
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = before


def check_upload(upload: UploadedFile) -> CheckedFile:
    """Refuse anything but a real PDF, JPEG or PNG of at most 10 MB; return a neutralised copy."""
    if upload.size is not None and upload.size > MAX_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    content_type = _sniff(data[:16])
    suffix = Path(upload.name or "").suffix.lower()
    if content_type is None or suffix not in EXTENSIONS[content_type]:
        raise ValidationError(_("Send a PDF, JPEG or PNG file."), code="type")
    if content_type == "application/pdf":
        if b"%%EOF" not in data[-2048:] or _ACTIVE.search(data):
            raise ValidationError(
                _("This PDF could not be accepted. Save it again as a PDF and retry."), code="pdf"
            )
        return CheckedFile(_safe_name(upload.name or "", content_type), content_type, data)
    try:
        with Image.open(io.BytesIO(data)) as image, _strict_images():
            width, height = image.size  # from the header: nothing is decoded yet
            if width * height > MAX_PIXELS:
                raise ValidationError(
                    _(
                        "This image is too large (%(mp)s megapixels; at most 40). Send a smaller scan or a PDF."
                    )
                    % {"mp": round(width * height / 1_000_000)},
                    code="pixels",
                )
            image.load()  # a truncated or corrupt image fails here
            clean = image.convert("RGB") if content_type == "image/jpeg" else image.copy()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        raise ValidationError(
            _("This image could not be read. Send it again as a PDF, JPEG or PNG."), code="image"
        ) from None
    out = io.BytesIO()
    clean.save(out, format="JPEG" if content_type == "image/jpeg" else "PNG")
    return CheckedFile(_safe_name(upload.name or "", content_type), content_type, out.getvalue())


def check_extract(upload: UploadedFile) -> CheckedFile:
    """An extract from a company system: what check_upload accepts, or UTF-8 CSV, JSON or text.

    Text is checked by content too: it must decode as UTF-8 with no NUL bytes, and JSON must parse.
    """
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in TEXT_EXTENSIONS:
        try:
            return check_upload(upload)
        except ValidationError as error:
            if error.code == "type":
                raise ValidationError(
                    _("Send a PDF, JPEG, PNG, CSV, JSON or text file."), code="type"
                ) from None
            raise
    data = upload.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is larger than 10 MB."), code="too_large")
    content_type = TEXT_EXTENSIONS[suffix]
    try:
        text = data.decode("utf-8-sig")
        if "\x00" in text:
            raise ValueError("binary")
        if content_type == "application/json":
            json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: JSON nested deeper than Python's stack
        raise ValidationError(
            _("This file is not a readable %(kind)s file in UTF-8.") % {"kind": suffix[1:].upper()},
            code="text",
        ) from None
    return CheckedFile(_safe_name(upload.name or "", content_type), content_type, data)


def fernet() -> MultiFernet:
    return MultiFernet([Fernet(key) for key in settings.ENCRYPTION_KEYS])


# Private folders under PRIVATE_ROOT: what requesters sent, letters we wrote, packets we built.
FOLDERS = frozenset({"evidence", "letters", "packets"})
_STORED = re.compile(r"[0-9a-f]{40}\.bin")


def evidence_dir(folder: str = "evidence") -> Path:
    if folder not in FOLDERS:
        raise ValueError(f"unknown private folder {folder!r}")
    path = Path(settings.PRIVATE_ROOT) / folder
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def store_bytes(data: bytes, folder: str = "evidence") -> tuple[str, str]:
    """Encrypt and write bytes under a random name; return (stored name, sha256 of the plaintext)."""
    stored_name = f"{secrets.token_hex(20)}.bin"
    target = evidence_dir(folder) / stored_name
    # Written beside, then renamed: a reader never sees half a file, a crash leaves no torn one.
    partial = target.with_suffix(".part")
    partial.write_bytes(fernet().encrypt(data))
    partial.replace(target)
    return stored_name, hashlib.sha256(data).hexdigest()


def store(checked: CheckedFile) -> tuple[str, str]:
    """Encrypt and write a checked upload; return (stored name, sha256 of the plaintext)."""
    return store_bytes(checked.data)


def load(stored_name: str, folder: str = "evidence") -> bytes:
    if not _STORED.fullmatch(stored_name):
        raise ValueError("not a stored file name")
    return fernet().decrypt((evidence_dir(folder) / stored_name).read_bytes())


def remove(stored_name: str, folder: str = "evidence") -> None:
    if _STORED.fullmatch(stored_name):
        (evidence_dir(folder) / stored_name).unlink(missing_ok=True)
