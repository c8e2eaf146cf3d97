from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
application = get_wsgi_application()

from django.conf import settings  # noqa: E402
from django.db import connections  # noqa: E402

from privacyportal.celery import app as celery_app  # noqa: E402
from privacyportal.checks import require_keys  # noqa: E402  (needs the apps loaded above)

# A request never waits on a broker that does not answer (settings.WEB_BROKER_TRANSPORT_OPTIONS); before any publish.
celery_app.conf.broker_transport_options = settings.WEB_BROKER_TRANSPORT_OPTIONS

try:
    require_keys()
finally:
    # With gunicorn --preload this runs in the master, which forks the workers: none may share its connection.
    connections.close_all()
