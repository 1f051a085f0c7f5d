"""The test suite: fast hashing, tasks run immediately, SQLite unless DATABASE_URL says otherwise."""

import os

import dj_database_url

from .base import *  # noqa: F403

IDX_DEMO = True
IDX_DEMO_IDP = True
IDX_DEMO_PAY = True
IDX_DEMO_LINE = True
IDX_CORE_SYSTEM_ADAPTER = "demo"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The whole suite signs in from 127.0.0.1 many times; tests/security turns limits on, set low.
IDX_RATELIMIT_ENABLED = False
# Japanese labels and headings stay one text (no <wbr> at phrase boundaries) so that tests can find
# them; tests/inclusion/test_phrase_breaks_by_default.py turns them on, as every deployment has them.
IDX_PHRASE_BREAKS = False
TASKS = {
    "default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend", "QUEUES": IDX_TASK_QUEUES}  # noqa: F405
}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
if not IDX_CACHE_URL:  # noqa: F405
    # Each test process counts in its own memory (tests/security/test_ratelimit.py shows the
    # deployments' database cache shared between processes).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "idx"}}
if "DATABASE_URL" in os.environ:
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# A fixed X25519 key pair for sealing 個人番号 in tests (never used anywhere else).
IDX_MY_NUMBER_PUBLIC_KEY = os.environ.get(
    "IDX_MY_NUMBER_PUBLIC_KEY", "+ta8qTqYgx56mEphtR0rbc6bvMiuG30qYYBNeGel3Cw="
)
if IDX_ROLE != "portal":  # noqa: F405 - the internet tier never holds the private key
    IDX_MY_NUMBER_PRIVATE_KEY = os.environ.get(
        "IDX_MY_NUMBER_PRIVATE_KEY", "C1Bpm2UQxacelN31fjmfMYFUCju7weoBinPFjKmxEF4="
    )
