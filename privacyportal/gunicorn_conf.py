"""gunicorn settings (`gunicorn -c python:privacyportal.gunicorn_conf privacyportal.wsgi`).

The access log records the path only: no query string and no referrer, which can carry an email address
(a search). The one-click links carry a token in their path (/verify/<token>/, /confirm-agent/<token>/, staff enrolment's
/admin/enrol/<token>/): `RedactingLogger` writes it as [redacted], whatever `access_log_format` an operator sets,
and in the error log too ("Error handling request /verify/<token>/").
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger

from privacyportal.redact import RedactSecretsFilter, redact

accesslog = "-"
# REMOTE_ADDR as the portal leaves it: the client's address read through TRUSTED_PROXIES only
# (privacyportal.ratelimit.TrustedProxyMiddleware), never a header anyone could send.
access_log_format = '%({REMOTE_ADDR}e)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'


class RedactingLogger(Logger):
    """gunicorn's logger with the tokens of secret-bearing paths redacted from every access-log atom: the
    request line (%(r)s), path (%(U)s), query (%(q)s), Referer (%(f)s) and any header or environ value."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        if not any(
            isinstance(f, RedactSecretsFilter) for f in self.error_log.filters
        ):  # setup runs on reload
            self.error_log.addFilter(RedactSecretsFilter())

    def atoms(self, resp: Any, req: Any, environ: Any, request_time: Any) -> dict[str, Any]:
        atoms: dict[str, Any] = super().atoms(resp, req, environ, request_time)
        return {key: redact(value) if isinstance(value, str) else value for key, value in atoms.items()}


logger_class = RedactingLogger
