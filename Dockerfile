# The production image: one image for web (gunicorn), worker and beat; docker-compose.yml picks
# the command. Static files are collected at build time and served by whitenoise.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1

WORKDIR /app
RUN useradd --create-home --uid 10001 portal
# Fonts for the PDF answers to know: DejaVu for Latin, Greek and Cyrillic, Droid Sans Fallback
# for Chinese, Japanese and Korean (fulfilment/exports.py falls back to Helvetica without them).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-dejavu-core fonts-droid-fallback \
    && rm -rf /var/lib/apt/lists/*

COPY requirements/base.lock requirements/base.lock
RUN pip install -r requirements/base.lock

COPY . .
# collectstatic needs settings that load; these build-time values never reach a container.
RUN DEBUG=false SECRET_KEY=build-only-collectstatic-key ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:////tmp/build.sqlite3 python manage.py collectstatic --noinput \
    && mkdir -p /app/var/private && chown -R portal:portal /app/var

USER portal
EXPOSE 8000
CMD ["gunicorn", "privacy_portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
