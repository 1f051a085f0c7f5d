"""Settings of the ceiling server: one database, no installed apps, no middleware.

The database is the benchmark's (``DATABASE_URL``, the same PostgreSQL and database as the server
under test) with the connection kept between requests as IDX keeps it (``CONN_MAX_AGE`` 60) and
Django's default of no health check per request.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = "bench-ceiling-not-secret"  # noqa: S105 - a benchmark server on loopback
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "ceiling.urls"
USE_TZ = True
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
LANGUAGE_CODE = "ja"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/idx_bench"), conn_max_age=60
    )
}
CEILING_PROCEDURE = os.environ.get("CEILING_PROCEDURE", "event-registration")
