"""gunicorn settings (`gunicorn -c python:privacyportal.gunicorn_conf privacyportal.wsgi`).

The access log records the path only: no query string and no referrer, which can carry an email address
(a search) or a token; nothing personal goes into logs.
"""

accesslog = "-"
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(b)s %(M)sms'
