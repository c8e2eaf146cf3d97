"""Browser tests: Playwright driving Debian's Chromium against a live server (never a downloaded browser)."""

from __future__ import annotations

import base64
import hashlib
import io
import os
import shutil
import tarfile
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests import clock

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make are still sync.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# axe-core for the accessibility tests, from the npm registry's tarball (no npm install). The integrity is the
# registry's published `dist.integrity` for this version (`npm view axe-core@4.14.1 dist.integrity`), pinned
# here so a changed or corrupted tarball fails instead of running unknown code in the browser.
AXE_VERSION = "4.14.1"
AXE_INTEGRITY = (
    "sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)
AXE_URL = f"https://registry.npmjs.org/axe-core/-/axe-core-{AXE_VERSION}.tgz"


def axe_cache() -> Path:
    """Under the test run's VAR_DIR (outside the working tree), so it survives from one run to the next."""
    from django.conf import settings

    return Path(settings.VAR_DIR) / "axe" / f"axe-core-{AXE_VERSION}.tgz"


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    clock.require_real_clock("a browser")
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}: CI must run the browser tests")
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )  # fmt: skip
        yield browser
        browser.close()


def open_page(browser: Any, live_server: Any, request: Any, **options: Any) -> tuple[Any, Any]:
    """A browser context and page on the live server, with `page.shot(name)` saving numbered screenshots."""
    context = browser.new_context(
        base_url=live_server.url, locale="en-GB", viewport={"width": 1100, "height": 900}, **options
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    shots = ARTIFACTS / request.node.name
    shutil.rmtree(shots, ignore_errors=True)
    shots.mkdir(parents=True, exist_ok=True)
    counter = iter(range(1, 1000))

    def shot(name: str) -> None:
        page.screenshot(path=str(shots / f"{next(counter):02d}-{name}.png"), full_page=True)

    page.shot = shot  # screenshots numbered in the order taken
    return context, page


@pytest.fixture
def page(browser: Any, live_server: Any, request: Any) -> Iterator[Any]:
    context, page = open_page(browser, live_server, request)
    yield page
    context.close()


def _integrity(data: bytes) -> str:
    """npm's Subresource Integrity string for a tarball."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


@pytest.fixture(scope="session")
def axe_source() -> str:
    """The text of axe-core's `axe.min.js`, read from the verified tarball cached under the test run's VAR_DIR.

    The tarball is downloaded once and checked against the pinned sha512 on every run, cached or not. Without
    network a local run skips; CI (`CI` set) fails, as it does for a missing Chromium.
    """
    cache = axe_cache()
    data = cache.read_bytes() if cache.exists() else b""
    if _integrity(data) != AXE_INTEGRITY:
        try:
            with urllib.request.urlopen(AXE_URL, timeout=30) as response:
                data = response.read()
        except OSError as error:
            reason = f"could not download axe-core {AXE_VERSION} from {AXE_URL}: {error}"
            if os.environ.get("CI"):
                pytest.fail(f"{reason}; CI must run the accessibility tests")
            pytest.skip(f"{reason} (the accessibility tests need it once; it is cached in {cache.parent})")
        if _integrity(data) != AXE_INTEGRITY:
            pytest.fail(f"{AXE_URL} does not match the pinned integrity {AXE_INTEGRITY}: refusing to run it")
        cache.parent.mkdir(parents=True, exist_ok=True)
        partial = cache.with_suffix(".part")
        partial.write_bytes(data)
        partial.replace(cache)  # atomic: a concurrent or interrupted run never sees half a file
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tarball:
        member = tarball.extractfile("package/axe.min.js")
        assert member is not None, f"{AXE_URL} has no package/axe.min.js"
        return member.read().decode()
