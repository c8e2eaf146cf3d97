"""gunicorn settings (`gunicorn -c python:privacyportal.gunicorn_conf privacyportal.wsgi`).

The access log records the path only: no query string and no referrer, which can carry an email address
(a search) or a token; nothing personal goes into logs.
"""

accesslog = "-"
# REMOTE_ADDR as the portal leaves it: the client's address read through TRUSTED_PROXIES only
# (privacyportal.ratelimit.TrustedProxyMiddleware), never a header anyone could send.
access_log_format = '%({REMOTE_ADDR}e)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
