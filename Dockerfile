# Privacy Portal: one image for web (gunicorn), worker, beat and the one-shot migrate.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/app/var \
    PRIVATE_ROOT=/data/private

WORKDIR /app
# postgresql-client: pg_dump and pg_restore for `manage.py backup` and `restore` (at least the server's version).
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext fonts-dejavu-core libpango-1.0-0 libpangoft2-1.0-0 \
       postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# The lock file alone first, so code changes do not reinstall dependencies. The project itself is
# never pip-installed: that would put a top-level `requests` package into site-packages.
COPY requirements/base.lock requirements/base.lock
RUN pip install --require-hashes -r requirements/base.lock

COPY . .
RUN SECRET_KEY=build-only-not-secret python manage.py collectstatic --noinput -v0 \
    && useradd --system --uid 10001 --home-dir /app portal \
    && mkdir -p /app/var /data/private \
    && chown -R portal /app/var /data/private

USER portal
EXPOSE 8000
CMD ["gunicorn", "-c", "python:privacyportal.gunicorn_conf", "privacyportal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
