"""The one WeasyPrint wrapper (DESIGN §9): templates/pdf/<name>.html to PDF bytes, in a given language.

The fetcher serves only the project's own static files: a letter can never pull a remote resource, a
file outside static/, or anything a requester typed as a URL.
"""

from __future__ import annotations

import io
import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.loader import render_to_string
from django.utils import translation

from .typography import tidy

# Relative URLs in the templates resolve against this made-up origin; the fetcher maps it onto static/.
BASE_URL = "https://letters.invalid/"
logger = logging.getLogger(__name__)


class MissingAsset(RuntimeError):
    """A stylesheet, font or image a letter names could not be served: the PDF would come out unstyled."""


def _fetch_static(url: str) -> tuple[bytes, str]:
    """The bytes and type of /static/... under BASE_URL; ValueError for any other URL."""
    parts = urlsplit(url)
    prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    if f"{parts.scheme}://{parts.netloc}/" != BASE_URL or not parts.path.startswith(prefix):
        raise ValueError(f"refused to fetch {url!r}: letters use local static files only")
    relative = unquote(parts.path[len(prefix) :])
    if ".." in relative.split("/"):
        raise ValueError(f"no static file {relative!r}")
    found = _collected(relative) or finders.find(relative)
    if not found:
        raise ValueError(f"no static file {relative!r}")
    with open(found if isinstance(found, str) else found[0], "rb") as handle:
        return handle.read(), mimetypes.guess_type(relative)[0] or "application/octet-stream"


def _collected(relative: str) -> str | None:
    """The file collectstatic wrote under STATIC_ROOT. In production `{% static %}` names the hashed copy
    (css/letter.<hash>.css, the manifest storage's), which only exists there, not in the source folders the
    finders search: without this the letters lost their stylesheet in production."""
    try:
        path = staticfiles_storage.path(relative)
    except NotImplementedError:  # a storage without local files (a bucket): the finders' copy serves
        return None
    return (
        path
        if Path(path).is_file() and Path(path).resolve().is_relative_to(Path(settings.STATIC_ROOT).resolve())
        else None
    )


def render_html(template: str, context: dict[str, Any], *, language: str) -> str:
    """The HTML templates/pdf/<template>.html makes in `language`: what the PDF is printed from."""
    with translation.override(language):
        return tidy(render_to_string(f"pdf/{template}.html", {**context, "language": language}), language)


def render_pdf(template: str, context: dict[str, Any], *, language: str) -> bytes:
    """Render templates/pdf/<template>.html in `language` and return the PDF."""
    html = render_html(template, context, language=language)
    # Imported here: WeasyPrint is heavy, and importing it changes a Pillow default for the whole process
    # (privacyportal.uploads guards its own image check against that), so web processes never load it.
    from weasyprint import HTML  # noqa: PLC0415 (see above)
    from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: PLC0415

    missing: list[str] = []

    class StaticOnlyFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
            try:
                body, content_type = _fetch_static(url)
            except ValueError as error:
                missing.append(str(error))  # WeasyPrint would only log it and carry on without the file
                raise
            return URLFetcherResponse(url, body, {"Content-Type": content_type}, 200)

    out = io.BytesIO()
    HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyFetcher()).write_pdf(out)
    if missing:
        # A letter without its stylesheet still says what the law requires, so production sends it and logs
        # loudly; tests (PDF_STRICT_ASSETS) fail, so a missing file is caught before it ships.
        if settings.PDF_STRICT_ASSETS:
            raise MissingAsset("; ".join(missing))
        logger.error("letter %s rendered without: %s", template, "; ".join(missing))
    return out.getvalue()
