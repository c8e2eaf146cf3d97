"""Uploads checked by content (identity evidence, staff extracts): images re-encoded, PDFs looked into.

Accepted: PDF, JPEG, PNG up to 10 MB (extracts may also be CSV, JSON or text; `check_extract`). The extension must agree with the content. A PDF must end like a
PDF and carry no HTML or script in its bytes (polyglots are refused), must parse with pypdf, and must hold no
active content anywhere in its object graph (scripts, actions run on opening or by other events, launching or
submitting, links to other files, attached files, rich media, XFA forms, markup inside its streams); one that
needs a password is refused, since it cannot be looked into. Images are decoded and re-encoded with Pillow,
which drops EXIF and anything hidden after the image data. What passes is stored by privacyportal/files.py.
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, UnidentifiedImageError
from pypdf import Configuration, PasswordType, PdfReader, apply_configuration, get_configuration
from pypdf.errors import LimitReachedError
from pypdf.filters import decode_stream_data
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject, StreamObject

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

# Looking inside a PDF is bounded (pypdf is pure Python), so that a file built to wear the checker out is refused
# in about a second. Measured: real 2-5 page letters from LibreOffice, Chromium and WeasyPrint are checked in
# 3-13 ms, 1-3 page scans of 1-3 MB in 20-55 ms (mostly the byte search), a 36-page manual in about 40 ms; a file
# built to reach one of the limits below is refused in 0.1-1 s.
# Objects: each dictionary, array or stream looked at counts once. Real files hold 15-1,300; 20,000 leaves
# room for a few hundred pages.
PDF_MAX_OBJECTS = 20_000
# Reads from the file as pypdf parses it (a token or two a read, about a million reads a second here): real
# files take 600-34,000. Without this, a 9 MB file of nothing but small arrays kept pypdf busy for 32 s.
PDF_MAX_READS = 1_000_000
# Object streams (objects stored compressed): pypdf parses them from memory, out of the read meter's sight, so
# their decoded size is limited instead. Real files hold about 150 bytes an object; 512 KB parses in under a
# second even when packed with the smallest objects there are.
PDF_MAX_PACKED = 512 * 1024
# Bytes decoded from streams (page content, metadata, object streams; not images or font programs): five times
# the 10 MB upload limit, since text and drawing commands compress three to five times, while a decompression
# bomb inflates a thousand times and stops here.
PDF_MAX_INFLATED = 50 * 1024 * 1024
# And a deadline, checked between one object and the next, for slowness none of the counts foresees (pypdf
# mending hundreds of damaged streams one byte at a time): far beyond what a real file takes.
PDF_MAX_SECONDS = 3.0
# Actions that run code, start programs, send data, or open other files or media.
_PDF_ACTIONS = frozenset({
    "/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/GoToR", "/GoToE",
    "/RichMediaExecute", "/Rendition", "/Movie", "/Sound",
})  # fmt: skip
# Keys that only ever carry active content: scripts, event-triggered actions, XFA forms, attached files.
_PDF_KEYS = frozenset({"/JS", "/JavaScript", "/AA", "/XFA", "/EmbeddedFiles", "/EF", "/RichMediaContent"})
_PDF_SUBTYPES = frozenset({"/RichMedia", "/FileAttachment", "/Movie", "/Sound", "/Screen", "/3D"})
_PDF_URI = re.compile(r"\s*(?:javascript|vbscript|data|file):", re.IGNORECASE)
# Streams whose bytes are pixels or font programs: never markup a viewer would run, and not decoded here.
_PDF_OPAQUE_FILTERS = frozenset({"/DCTDecode", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/DCT", "/CCF"})  # fmt: skip
_PDF_FONT_FILES = frozenset({"/FontFile", "/FontFile2", "/FontFile3"})
_PDF_UNREADABLE = _("This PDF could not be accepted. Save it again as a PDF and retry.")


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
            raise ValidationError(_PDF_UNREADABLE, code="pdf")
        _inspect_pdf(data)
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


class _MeteredFile(io.BytesIO):
    """The file as pypdf reads it, PDF_MAX_READS reads at most."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.reads_left = PDF_MAX_READS

    def read(self, size: int | None = -1, /) -> bytes:
        self.reads_left -= 1
        if self.reads_left < 0:
            raise LimitReachedError(f"more than {PDF_MAX_READS} reads")
        return super().read(size)


class _ActiveContent(Exception):
    """Found while walking a PDF: the file carries something that runs, opens or sends."""


def _inspect_pdf(data: bytes) -> None:
    """Parse a PDF with pypdf; refuse it if it is unreadable, locked, beyond the limits above, or active.

    Everything reachable from the trailer is walked, iteratively (no recursion, however deep the nesting),
    each indirect object once (so cycles end). Streams are decoded and searched for markup, except images and
    font programs: their bytes are pixels and glyphs, no viewer runs them, and a scan would spend the budget.
    """
    metered = _MeteredFile(data)
    try:
        # What pypdf decodes on its own (cross-reference and object streams) stops at PDF_MAX_PACKED, and its
        # recovery of a damaged Flate stream (one byte at a time, in Python) at 64 KB: a real stream damaged at
        # its tail is mended before that. The walk sets its own limits for what it decodes.
        with apply_configuration(
            _decoding_limits(PDF_MAX_PACKED, zlib_maximum_recovery_input_length=64 * 1024)
        ):
            reader = PdfReader(metered, strict=False, xref_stream_maximum_entries=PDF_MAX_OBJECTS)
            if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
                raise ValidationError(
                    _(
                        "This PDF is protected with a password, so we cannot check it. Send a copy without the"
                        " password (for example, print it to a new PDF)."
                    ),
                    code="pdf_password",
                )
            _PdfWalk(reader).run()
            if len(reader.pages) == 0:
                raise ValueError("no pages")
            # pypdf mends some errors by itself and may have carried on past the meter's end with objects left
            # unread: what was not read was not checked.
            if metered.reads_left < 0:
                raise LimitReachedError("read meter ran out")
    except ValidationError:
        raise
    except _ActiveContent:
        raise ValidationError(
            _(
                "This PDF contains scripts, attached files or other active content, which we do not accept."
                " Print it to a new PDF, or scan the paper copy, and send that instead."
            ),
            code="pdf_active",
        ) from None
    except Exception as error:
        # Whatever pypdf raises on a broken file (it parses untrusted bytes) is a refusal; past a limit, one
        # that says so, even where pypdf turned the limit into an error of its own.
        if not isinstance(error, LimitReachedError) and metered.reads_left >= 0:
            raise ValidationError(_PDF_UNREADABLE, code="pdf") from None
        raise ValidationError(
            _(
                "This PDF is too large or too complex for us to check. Send only the pages we need, or a"
                " scan of them."
            ),
            code="pdf_complex",
        ) from None


class _PdfWalk:
    """One look through a parsed PDF, with what it has spent of the limits."""

    def __init__(self, reader: PdfReader) -> None:
        self.reader = reader
        self.inflated = 0  # bytes decoded so far, of PDF_MAX_INFLATED
        self.packed = 0  # bytes of object streams decoded so far, of PDF_MAX_PACKED
        self.deadline = time.monotonic() + PDF_MAX_SECONDS

    def run(self) -> None:
        # pypdf parses every object of an object stream as soon as one of them is asked for, from the stream's
        # decoded bytes, which the read meter does not see: they are decoded first, within PDF_MAX_PACKED.
        for number in sorted({stream for stream, _index in self.reader.xref_objStm.values()}):
            self.check_time()
            packed = self.reader.get_object(number)
            if isinstance(packed, StreamObject):
                self.packed += len(self.decode(packed, PDF_MAX_PACKED - self.packed, keep=True))
        seen: set[tuple[int, int]] = set()
        visited = 0
        # (object, reached as a font program): what is left to look at, depth first.
        stack: list[tuple[PdfObject | None, bool]] = [
            (self.reader.trailer, False),
            (self.reader.root_object, False),
        ]
        while stack:
            obj, font_program = stack.pop()
            self.check_time()
            if isinstance(obj, IndirectObject):
                if (obj.idnum, obj.generation) in seen:
                    continue
                seen.add((obj.idnum, obj.generation))
                obj = obj.get_object()
            if not isinstance(obj, DictionaryObject | ArrayObject):
                continue  # numbers, names, strings, null: nothing inside
            visited += 1
            if visited > PDF_MAX_OBJECTS:
                raise LimitReachedError(f"more than {PDF_MAX_OBJECTS} objects")
            if isinstance(obj, ArrayObject):
                stack.extend((item, False) for item in obj)
                continue
            _check_dictionary(obj)
            if isinstance(obj, StreamObject) and not font_program and not _opaque_stream(obj):
                self.search(obj)
            stack.extend((value, key in _PDF_FONT_FILES) for key, value in obj.items())

    def check_time(self) -> None:
        if time.monotonic() > self.deadline:
            raise LimitReachedError(f"more than {PDF_MAX_SECONDS} s")

    def search(self, stream: StreamObject) -> None:
        if _ACTIVE.search(self.decode(stream, PDF_MAX_INFLATED - self.inflated)):
            raise _ActiveContent("markup in a stream")

    def decode(self, stream: StreamObject, limit: int, *, keep: bool = False) -> bytes:
        """A stream's bytes, decoded; refused past `limit` bytes, or past what is left of PDF_MAX_INFLATED."""
        limit = min(limit, PDF_MAX_INFLATED - self.inflated) + 1
        with apply_configuration(_decoding_limits(limit)):
            # get_data() keeps the decoded bytes in the reader: right for object streams, which pypdf reads
            # again; anything else is decoded and let go.
            data = stream.get_data() if keep or "/Filter" not in stream else decode_stream_data(stream)
        self.inflated += len(data)
        if len(data) >= limit or self.inflated > PDF_MAX_INFLATED:
            raise LimitReachedError("a stream decoded to more than the limit")
        return data


def _decoding_limits(size: int, **more: int) -> Configuration:
    """pypdf's limits on what one stream may decode to, all set to `size` bytes (and `more`)."""
    return get_configuration().with_overwrites(
        zlib_maximum_output_length=size,
        lzw_maximum_output_length=size,
        run_length_maximum_output_length=size,
        brotli_maximum_output_length=size,
        stream_decoding_work_maximum_length=size,
        **more,
    )


def _check_dictionary(obj: DictionaryObject) -> None:
    if not _PDF_KEYS.isdisjoint(obj.keys()):
        raise _ActiveContent(f"key {sorted(_PDF_KEYS.intersection(obj.keys()))}")
    if _name(obj, "/S") in _PDF_ACTIONS:
        raise _ActiveContent(f"action {_name(obj, '/S')}")
    if _name(obj, "/Subtype") in _PDF_SUBTYPES or _name(obj, "/Type") == "/EmbeddedFile":
        raise _ActiveContent("an attached file or media")
    uri = obj.get("/URI")
    uri = uri.get_object() if uri is not None else None
    uri = uri.decode("latin-1") if isinstance(uri, bytes) else uri
    if isinstance(uri, str) and _PDF_URI.match(uri):
        raise _ActiveContent("a link that runs a script or opens a file")
    if "/OpenAction" in obj:
        # What the viewer does on opening: going to a page (a destination, or a plain GoTo action) is fine;
        # anything else (a script, a web address, printing, a chain of actions) is not.
        action = obj["/OpenAction"].get_object()
        if isinstance(action, DictionaryObject) and (_name(action, "/S") != "/GoTo" or "/Next" in action):
            raise _ActiveContent("an action on opening")


def _name(obj: DictionaryObject, key: str) -> str | None:
    value = obj.get(key)
    value = value.get_object() if value is not None else None
    return str(value) if isinstance(value, NameObject) else None


def _opaque_stream(stream: StreamObject) -> bool:
    """An image (by its subtype, its size, or an image-only filter): pixels, not decoded here."""
    if _name(stream, "/Subtype") == "/Image" or ("/Width" in stream and "/Height" in stream):
        return True
    filters = stream.get("/Filter")
    filters = filters.get_object() if filters is not None else None
    names = [str(f) for f in filters] if isinstance(filters, ArrayObject) else [str(filters)]
    return not _PDF_OPAQUE_FILTERS.isdisjoint(names)


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
