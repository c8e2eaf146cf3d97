"""The one-click links' tokens never reach a log: gunicorn's access log or Django's request warnings (issue 15)."""

from __future__ import annotations

import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client
from gunicorn.config import Config

from privacyportal import gunicorn_conf

TOKEN = "Zk3vQ9_secret-token-from-the-email-0123456789abc"


class Kept(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def access_line(path: str, query: str = "", access_log_format: str | None = None) -> str:
    """The access-log line gunicorn writes for one request, configured as privacyportal/gunicorn_conf.py is."""
    cfg = Config()
    for name in dir(gunicorn_conf):
        if name in cfg.settings:
            cfg.set(name, getattr(gunicorn_conf, name))
    if access_log_format:
        cfg.set("access_log_format", access_log_format)
    logger = cfg.logger_class(cfg)
    kept = Kept()
    logger.access_log.handlers = [kept]
    raw_uri = f"{path}?{query}" if query else path
    environ = {
        "REQUEST_METHOD": "GET", "RAW_URI": raw_uri, "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://portal.example{raw_uri}",
    }  # fmt: skip
    response = SimpleNamespace(status="302 Found", sent=0, headers=[("Location", "/verify/link/")])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    (line,) = kept.lines
    return line


def test_the_access_log_never_shows_a_links_token() -> None:
    line = access_line(f"/verify/{TOKEN}/")
    assert TOKEN not in line and '"GET /verify/[redacted]/ HTTP/1.1" 302' in line
    assert TOKEN not in access_line(f"/confirm-agent/{TOKEN}/")
    enrol_line = access_line(f"/admin/enrol/{TOKEN}/")  # a staff enrolment link
    assert TOKEN not in enrol_line and "/admin/enrol/[redacted]/" in enrol_line
    # Whatever format an operator chooses: request line, path, query, referer, raw headers and environ.
    everything = "%(r)s %(U)s %(q)s %(f)s %({referer}i)s %({raw_uri}e)s"
    line = access_line(f"/verify/{TOKEN}/", f"next=%2Fverify%2F{TOKEN}%2F", access_log_format=everything)
    assert TOKEN not in line and line.count("[redacted]") == 10  # two in each of r, f, {referer}i, {raw_uri}e
    # Pages that are not secrets stay readable.
    assert "/verify/done/" in access_line("/verify/done/")
    assert '"GET /admin/enrol/ HTTP/1.1"' in access_line("/admin/enrol/")


@pytest.mark.django_db
def test_django_request_warnings_never_show_a_links_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    assert Client().get(f"/verify/{TOKEN}/more/").status_code == 404
    assert Client().post(f"/verify/{TOKEN}/").status_code == 400  # a wrong or used link
    assert Client().get(f"/confirm-agent/{TOKEN}/").status_code == 400
    assert Client().get(f"/admin/enrol/{TOKEN}/").status_code == 404  # a spent staff enrolment link
    assert Client(enforce_csrf_checks=True).post(f"/verify/{TOKEN}/").status_code == 403
    lines = [record.getMessage() for record in caplog.records]
    assert {"Not Found", "Bad Request", "Forbidden (CSRF cookie not set.)"} <= {
        line.split(":")[0] for line in lines
    }
    assert not [line for line in lines if TOKEN in line]
    assert "Not Found: /verify/[redacted]/more/" in lines
    assert "Not Found: /admin/enrol/[redacted]/" in lines


def test_gunicorns_error_log_never_shows_a_links_token() -> None:
    cfg = Config()
    cfg.set("logger_class", gunicorn_conf.logger_class)
    logger = cfg.logger_class(cfg)
    kept = Kept()
    logger.error_log.handlers = [kept]
    logger.error("Error handling request %s", f"/admin/enrol/{TOKEN}/")
    assert kept.lines == ["Error handling request /admin/enrol/[redacted]/"]
