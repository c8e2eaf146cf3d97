"""Settings of the intake benchmark's gunicorn: the portal's own, read from the same environment, with a
URLconf that adds the bare view beside the real ones (so both are served by the same workers and middleware).
"""

from __future__ import annotations

from privacyportal.settings import *  # noqa: F403

ROOT_URLCONF = "bench.intake_urls"
