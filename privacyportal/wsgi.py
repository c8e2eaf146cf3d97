from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "privacyportal.settings")
application = get_wsgi_application()

from privacyportal.checks import require_keys  # noqa: E402  (needs the apps loaded above)

require_keys()
