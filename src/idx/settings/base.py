"""Settings shared by every deployment; everything that varies comes from the environment.

docs/configuration.md documents each variable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
import django.conf.locale

from idx.common.addresses import DEFAULT_BIND, public_base_url, public_host, public_origins
from idx.common.env import env_bool, env_int, env_list, env_secret, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("IDX_DATA_DIR", str(Path.cwd() / "var")))

SECRET_KEY = env_secret("IDX_SECRET_KEY", "insecure-development-key-change-me")
DEBUG = env_bool("IDX_DEBUG", False)
# The address the web server serves (`idx serve`, `idx demo`) and the one residents use; the demo
# hands out addresses from them (idx.common.addresses).
IDX_BIND = env_str("IDX_BIND", DEFAULT_BIND)
IDX_PUBLIC_URL = public_base_url()
ALLOWED_HOSTS = env_list(
    "IDX_ALLOWED_HOSTS",
    list(dict.fromkeys(["127.0.0.1", "localhost", ".localhost", public_host(), f".{public_host()}"])),
)
CSRF_TRUSTED_ORIGINS = env_list("IDX_CSRF_TRUSTED_ORIGINS", public_origins())

# Which front doors this process mounts (三層の対策): the internet-facing resident portal,
# the internal back office, both (the demo, a small town), or none (a task worker).
IDX_ROLE = env_str("IDX_ROLE", "all")
if IDX_ROLE not in ("portal", "backoffice", "worker", "all"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("IDX_ROLE must be portal, backoffice, worker or all")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_tasks",
    "django_tasks_db",
    "csp",
    # So that /api/v1/docs serves Swagger UI from ninja's own static files, not from a CDN.
    "ninja",
    "idx.common",
    "idx.identity",
    "idx.audit",
    "idx.procedures",
    "idx.applications",
    "idx.notifications",
    "idx.assist",
    "idx.booking",
    "idx.payments",
    "idx.opendata",
    "idx.insights",
    "idx.dxplan",
    "idx.participation",
    "idx.public_comment",
    "idx.surveys",
    "idx.events",
    "idx.intake",
    "idx.imports",
    "idx.checks",
    "idx.handover",
    "idx.operations",
    "idx.portal",
    "idx.backoffice",
    "idx.api",
    "idx.demo",
    "idx.demo_idp",
    "idx.demo_pay",
    "idx.demo_line",
]

MIDDLEWARE = [
    # First: the request id (X-Request-ID) and the latency of everything below (idx.operations).
    "idx.operations.middleware.RequestObservabilityMiddleware",
    # A database that cannot be reached answers 503 with Retry-After, not 500 (idx.operations.unavailable).
    "idx.operations.unavailable.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "idx.common.security.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "idx.common.middleware.MunicipalityMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "idx.identity.middleware.TenantUserMiddleware",
    "idx.common.language.AccountLanguageMiddleware",
    "idx.common.language.ReadingAidsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: signs idle staff out with a message.
    "idx.identity.mfa.middleware.StaffIdleTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so that its process_view sees the resolved view, the user and a CSRF-checked request.
    "idx.common.ratelimit.RateLimitMiddleware",
]

ROOT_URLCONF = "idx.urls"
WSGI_APPLICATION = "idx.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "idx.common.context_processors.municipality",
                "idx.common.language.language_context",
                "idx.notifications.views.alert_banner",
            ],
            # Date filters for people (long_date, long_datetime) in every template.
            "builtins": ["idx.common.templatetags.idx_format"],
        },
    }
]

try:
    DATABASES = {
        "default": dj_database_url.parse(
            env_secret("DATABASE_URL", f"sqlite:///{DATA_DIR / 'idx.sqlite3'}"),
            conn_max_age=env_int("IDX_DB_CONN_MAX_AGE", 60),
            conn_health_checks=True,
        )
    }
except ValueError as exc:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        f"DATABASE_URL must be a database URL such as postgres://idx@db.example.jp/idx ({exc})"
    ) from exc
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and a busy timeout let the web server and the worker share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
# A read replica (PostgreSQL streaming replication) for dashboards and exports: code that only
# reads and may lag a few seconds asks for it with idx.common.replica.reading_from_replica().
IDX_DATABASE_REPLICA_URL = env_secret("IDX_DATABASE_REPLICA_URL", "")
if IDX_DATABASE_REPLICA_URL:
    DATABASES["replica"] = dj_database_url.parse(
        IDX_DATABASE_REPLICA_URL, conn_max_age=env_int("IDX_DB_CONN_MAX_AGE", 60), conn_health_checks=True
    )
    # Tests see the primary through the replica's alias (there is no second server to copy to).
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["idx.common.replica.ReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "identity.User"
AUTHENTICATION_BACKENDS = ["idx.identity.backends.MunicipalityEmailBackend"]
# Emails are unique per municipality, not globally; the backend above knows that.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"

LANGUAGE_CODE = "ja"
# Each name is written in its own language (the language menu shows them side by side).
LANGUAGES = [
    ("ja", "日本語"),
    ("ja-easy", "やさしい日本語"),
    ("en", "English"),
    ("pt-br", "Português (Brasil)"),
    ("vi", "Tiếng Việt"),
    ("zh-hans", "简体中文"),
    ("es", "Español"),
    ("fil", "Filipino"),
]
# Django knows neither やさしい日本語 nor Filipino; browsers asking for Tagalog get Filipino.
EXTRA_LANG_INFO = {
    "ja-easy": {"bidi": False, "code": "ja-easy", "name": "Easy Japanese", "name_local": "やさしい日本語"},
    "fil": {"bidi": False, "code": "fil", "name": "Filipino", "name_local": "Filipino"},
    "tl": {"fallback": ["fil"]},
}
django.conf.locale.LANG_INFO.update(EXTRA_LANG_INFO)
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Tokyo"
USE_I18N = True
USE_TZ = True
LANGUAGE_COOKIE_NAME = "idx_language"
LANGUAGE_COOKIE_SECURE = env_bool("IDX_SECURE_COOKIES", False)
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the root of every site (/favicon.ico, /apple-touch-icon.png), on every page.
WHITENOISE_ROOT = BASE_DIR / "public"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES: dict[str, dict[str, Any]] = {
    # Uploads live outside the web root and are only served through access-checked views.
    "default": {"BACKEND": env_str("IDX_FILE_STORAGE", "django.core.files.storage.FileSystemStorage")},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# IDX_STORAGE=s3: uploads, scans and open data files in an S3-compatible object storage, private,
# configured by IDX_S3_* (idx.common.files; docs/operations.md; docs/decisions/0033-object-storage.md).
# Downloads redirect to a presigned address valid IDX_S3_URL_SECONDS, or stream through IDX
# (IDX_S3_DOWNLOADS=stream) where browsers cannot reach the object storage.
IDX_STORAGE = env_str("IDX_STORAGE", "local")
IDX_S3_URL_SECONDS = env_int("IDX_S3_URL_SECONDS", 60)
IDX_S3_DOWNLOADS = env_str("IDX_S3_DOWNLOADS", "redirect")
if IDX_STORAGE not in ("local", "s3") or IDX_S3_DOWNLOADS not in ("redirect", "stream"):
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("IDX_STORAGE must be local or s3, IDX_S3_DOWNLOADS redirect or stream")
if IDX_STORAGE == "s3":
    from idx.common.files import S3_BACKEND, s3_storage_options

    STORAGES["default"] = {"BACKEND": S3_BACKEND, "OPTIONS": s3_storage_options()}
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
IDX_ATTACHMENT_MAX_BYTES = env_int("IDX_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
IDX_IMAGE_MAX_PIXELS = env_int("IDX_IMAGE_MAX_PIXELS", 40_000_000)
# Scans of paper forms (idx.intake): the largest file, the most pages in one file, the most pixels per page.
IDX_INTAKE_MAX_UPLOAD_BYTES = env_int("IDX_INTAKE_MAX_UPLOAD_BYTES", 200 * 1024 * 1024)
IDX_INTAKE_MAX_PAGES = env_int("IDX_INTAKE_MAX_PAGES", 500)
IDX_INTAKE_MAX_PAGE_PIXELS = env_int("IDX_INTAKE_MAX_PAGE_PIXELS", 40_000_000)
# Inquiries (問い合わせ): the response-time target in working days, counted from the resident's last message.
IDX_INQUIRY_RESPONSE_DAYS = env_int("IDX_INQUIRY_RESPONSE_DAYS", 3)
# Booking: future bookings one account may hold in all (each service also has its own limit), and
# how many bookings one account may make in a period (keeps bots from hoarding slots).
IDX_BOOKING_MAX_FUTURE = env_int("IDX_BOOKING_MAX_FUTURE", 5)
IDX_BOOKING_RATE = env_str("IDX_BOOKING_RATE", "10/1h")

SESSION_COOKIE_SECURE = env_bool("IDX_SECURE_COOKIES", False)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SECURE = env_bool("IDX_SECURE_COOKIES", False)
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("IDX_SESSION_AGE_SECONDS", 60 * 60 * 8)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
IDX_PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=()"
# No inline scripts, styles or event handlers anywhere (django-csp 4). The API docs page
# (ninja's Swagger UI, served from ninja's local static files) fits this policy too: its settings
# travel in a JSON data block, its code in static files.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
# /.well-known/security.txt; empty means mailto:security@<the request's host>.
IDX_SECURITY_CONTACT = env_str("IDX_SECURITY_CONTACT", "")

# The cache every worker and server shares (rate-limit counters, channels' send rates): Redis
# when IDX_CACHE_URL names one, otherwise a table in the database (made by `idx migrate`).
# "locmem" keeps it in each process's memory: tests only, production refuses it.
IDX_CACHE_URL = env_secret("IDX_CACHE_URL", "")
CACHES: dict[str, dict[str, Any]]
if IDX_CACHE_URL.startswith(("redis://", "rediss://", "unix://")):
    CACHES = {
        "default": {
            # Reads miss and writes are dropped while Redis is away (idx.common.cache).
            "BACKEND": "idx.common.cache.TolerantRedisCache",
            "LOCATION": IDX_CACHE_URL,
            "KEY_PREFIX": "idx",
        }
    }
elif IDX_CACHE_URL in ("", "database"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "idx_cache",
            "KEY_PREFIX": "idx",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }
elif IDX_CACHE_URL == "locmem":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "idx"}}
else:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "IDX_CACHE_URL must be a redis://, rediss:// or unix:// URL, database or locmem"
    )

# Rate limits (idx.common.ratelimit): "<requests>/<period>" per client address and, with the
# _account suffix, per account (e-mail address tried, signed-in user or API token); "off" for none.
IDX_RATELIMIT_ENABLED = env_bool("IDX_RATELIMIT_ENABLED", True)
IDX_RATELIMITS = {
    "sign_in": env_str("IDX_RATELIMIT_SIGN_IN", "30/10m"),
    "sign_in_account": env_str("IDX_RATELIMIT_SIGN_IN_ACCOUNT", "10/10m"),
    "sign_up": env_str("IDX_RATELIMIT_SIGN_UP", "10/1h"),
    "sign_up_account": env_str("IDX_RATELIMIT_SIGN_UP_ACCOUNT", "3/1h"),
    "submit": env_str("IDX_RATELIMIT_SUBMIT", "30/10m"),
    "submit_account": env_str("IDX_RATELIMIT_SUBMIT_ACCOUNT", "10/10m"),
    "inquiry": env_str("IDX_RATELIMIT_INQUIRY", "20/1h"),
    "inquiry_account": env_str("IDX_RATELIMIT_INQUIRY_ACCOUNT", "10/1h"),
    "api": env_str("IDX_RATELIMIT_API", "300/1m"),
    "api_account": env_str("IDX_RATELIMIT_API_ACCOUNT", "120/1m"),
}
# How many reverse proxies in front append to X-Forwarded-For (0: use the peer address).
IDX_PROXY_COUNT = env_int("IDX_PROXY_COUNT", 0)

EMAIL_BACKEND = env_str("IDX_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env_str("IDX_EMAIL_HOST", "127.0.0.1")
EMAIL_PORT = env_int("IDX_EMAIL_PORT", 1025)
EMAIL_HOST_USER = env_str("IDX_EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env_secret("IDX_EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("IDX_EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("IDX_EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("IDX_DEFAULT_FROM_EMAIL", "no-reply@idx.localhost")

_TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    # RQ that parks a task in the database while Redis is away (idx.common.taskqueue).
    "rq": "idx.common.taskqueue.ResilientRQBackend",
    "immediate": "django_tasks.backends.immediate.ImmediateBackend",
}
IDX_TASK_BACKEND = env_str("IDX_TASK_BACKEND", "database")
# One queue per purpose, so that a slow purpose (OCR, a large export) never holds up another
# (e-mail), and workers can be added for one purpose: `idx worker --queues ocr`. In order of
# urgency, which is the order a worker takes them in: a disaster alert's fan-out first.
IDX_TASK_QUEUES = ["fanout", "email", "push", "line", "default", "ocr", "exports"]
TASKS = {"default": {"BACKEND": _TASK_BACKENDS[IDX_TASK_BACKEND], "QUEUES": IDX_TASK_QUEUES}}
if IDX_TASK_BACKEND == "rq":
    RQ_QUEUES = {
        name: {"URL": env_str("IDX_REDIS_URL", "redis://127.0.0.1:6379/0")} for name in IDX_TASK_QUEUES
    }
    INSTALLED_APPS.append("django_rq")

IDX_RECEIPT_PDF_FONT = env_str("IDX_RECEIPT_PDF_FONT", "Noto Sans CJK JP")
IDX_DEMO = env_bool("IDX_DEMO", False)
# The core-system adapter the automated checks ask (idx.checks.adapters): empty for none, "demo"
# for the in-project fictional 住民記録 (demo and test settings only; production refuses it).
IDX_CORE_SYSTEM_ADAPTER = env_str("IDX_CORE_SYSTEM_ADAPTER", "")
IDX_API_PAGE_SIZE_MAX = 200
# Seconds a process remembers a checked API token (idx.identity.tokens): 0 checks every request
# in the database; a revocation reaches other processes only after this many seconds.
IDX_API_TOKEN_CACHE_SECONDS = env_int("IDX_API_TOKEN_CACHE_SECONDS", 0)
# The largest file a department may publish as open data (megabytes).
IDX_OPENDATA_MAX_UPLOAD_MB = env_int("IDX_OPENDATA_MAX_UPLOAD_MB", 100)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "idx.operations.logs.JsonFormatter"},
    },
    # Request bodies, cookies and headers never reach a log (idx.common.security); every record
    # carries the request id (idx.operations.logs).
    "filters": {
        "drop_request_data": {"()": "idx.common.security.DropRequestDataFilter"},
        "request_id": {"()": "idx.operations.logs.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            # IDX_LOG_FORMAT=json: one JSON object a line, for a log collector.
            "formatter": "json" if env_str("IDX_LOG_FORMAT", "plain") == "json" else "plain",
            "filters": ["drop_request_data", "request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env_str("IDX_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Records of "django" itself (django-ninja logs an unexpected Authorization header there).
        "django": {"filters": ["drop_request_data"]},
        "django.request": {"filters": ["drop_request_data"]},
        "django.security": {"filters": ["drop_request_data"]},
    },
}

# Sign-in through OpenID Connect providers (My Number Card via デジタル認証アプリ, staff SSO, gBizID).
# Providers themselves are configured per municipality in the database (IdentityProvider).
IDX_OIDC_HTTP_TIMEOUT = env_int("IDX_OIDC_HTTP_TIMEOUT", 10)
IDX_OIDC_LEEWAY_SECONDS = env_int("IDX_OIDC_LEEWAY_SECONDS", 60)
IDX_OIDC_JWKS_CACHE_SECONDS = env_int("IDX_OIDC_JWKS_CACHE_SECONDS", 3600)
# Dotted path of a requests transport adapter for back-channel calls (tests route them to Django).
IDX_OIDC_TRANSPORT = env_str("IDX_OIDC_TRANSPORT", "")
# The accessibility test results the policy page shows (a file the browser tests write; the
# results shipped with the release are shown when it is missing).
IDX_ACCESSIBILITY_RESULTS = env_str("IDX_ACCESSIBILITY_RESULTS", str(DATA_DIR / "accessibility-results.json"))
# Send rates per channel (e.g. "1000/1m"; "off" for none), counted in the rate-limit cache (Redis
# when IDX_REDIS_URL is set, so all workers share the count). Over the rate, sends wait.
IDX_CHANNEL_RATES = {
    "email": env_str("IDX_RATE_EMAIL", "off"),
    "line": env_str("IDX_RATE_LINE", "off"),
    "webpush": env_str("IDX_RATE_WEBPUSH", "off"),
}
# LINE Messaging API (push): the channel access token, and where the API is (a stand-in in tests).
IDX_LINE_CHANNEL_ACCESS_TOKEN = env_secret("IDX_LINE_CHANNEL_ACCESS_TOKEN", "")
IDX_LINE_CHANNEL_SECRET = env_secret("IDX_LINE_CHANNEL_SECRET", "")
IDX_LINE_API_BASE = env_str("IDX_LINE_API_BASE", "https://api.line.me")
# Web Push (VAPID): the application server's key pair (base64url, from `idx notifications vapid`)
# and the contact the push services see.
IDX_VAPID_PUBLIC_KEY = env_str("IDX_VAPID_PUBLIC_KEY", "")
IDX_VAPID_PRIVATE_KEY = env_secret("IDX_VAPID_PRIVATE_KEY", "")
IDX_VAPID_SUBJECT = env_str("IDX_VAPID_SUBJECT", "mailto:webmaster@example.jp")
# How long a fetched JPKI CRL is trusted before it is fetched again (it is re-fetched sooner when
# it is no longer current).
IDX_JPKI_CRL_CACHE_SECONDS = env_int("IDX_JPKI_CRL_CACHE_SECONDS", 3600)
# The in-project demo identity provider (/demo-idp/): demo and test settings only; production refuses it.
IDX_DEMO_IDP = env_bool("IDX_DEMO_IDP", False)
# The in-project LINE stand-in (/demo-line/: the push API and a page playing a resident's LINE app):
# demo and test settings only; production refuses it.
IDX_DEMO_LINE = env_bool("IDX_DEMO_LINE", False)
# The in-project demo payment service (/demo-pay/): demo and test settings only; production refuses it.
IDX_DEMO_PAY = env_bool("IDX_DEMO_PAY", False)
# How the demo payment service sends its webhooks: "thread" (after the response), "sync" or "manual"
# (tests); empty: "sync" when a test transport is set, else "thread".
IDX_DEMO_PAY_DELIVERY = env_str("IDX_DEMO_PAY_DELIVERY", "")
# The HTTP client payment providers use (dotted path of a requests-compatible transport; tests swap it).
IDX_PAYMENTS_TRANSPORT = env_str("IDX_PAYMENTS_TRANSPORT", "")

# /metrics (Prometheus): for a scraper sending "Authorization: Bearer <IDX_METRICS_TOKEN>", or
# connecting directly (not through a proxy) from one of IDX_METRICS_ALLOWED_ADDRESSES; 404 otherwise.
IDX_METRICS_TOKEN = env_secret("IDX_METRICS_TOKEN", "")
IDX_METRICS_ALLOWED_ADDRESSES = env_list("IDX_METRICS_ALLOWED_ADDRESSES", [])

# Backups (`idx backup`) are encrypted with age to these recipients (age1..., comma-separated):
# the municipality's public keys; the matching key files stay offline, only `idx restore` needs one.
IDX_BACKUP_RECIPIENTS = env_list("IDX_BACKUP_RECIPIENTS", [])
# Hand-over to core systems (docs/decisions/0032-handover.md): folder destinations are folders under
# IDX_HANDOVER_ROOT; SFTP private keys are files in IDX_HANDOVER_KEYS_DIR, named by each target.
IDX_HANDOVER_ROOT = Path(env_str("IDX_HANDOVER_ROOT", str(DATA_DIR / "handover")))
IDX_HANDOVER_KEYS_DIR = Path(env_str("IDX_HANDOVER_KEYS_DIR", str(DATA_DIR / "handover-keys")))

# Audit log retention (`idx audit prune` deletes older entries, keeping the chain verifiable).
IDX_AUDIT_RETENTION_DAYS = env_int("IDX_AUDIT_RETENTION_DAYS", 3650)

# 個人番号 (My Number) is sealed on receipt with the back office's X25519 public key (every role
# needs it); only the back office holds the private key (`idx my_number_keygen` makes a pair).
IDX_MY_NUMBER_PUBLIC_KEY = env_str("IDX_MY_NUMBER_PUBLIC_KEY", "")
IDX_MY_NUMBER_PRIVATE_KEY = env_secret("IDX_MY_NUMBER_PRIVATE_KEY", "")
# The demo (role all, no keys configured) makes a key pair here on first use.
IDX_MY_NUMBER_DEMO_KEY_FILE = DATA_DIR / "my-number-demo.key"
if IDX_MY_NUMBER_PRIVATE_KEY and IDX_ROLE == "portal":
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(
        "IDX_MY_NUMBER_PRIVATE_KEY must not be configured with IDX_ROLE=portal: "
        "the internet tier never opens sealed 個人番号"
    )
if IDX_MY_NUMBER_PRIVATE_KEY and not IDX_MY_NUMBER_PUBLIC_KEY:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("IDX_MY_NUMBER_PRIVATE_KEY needs its IDX_MY_NUMBER_PUBLIC_KEY")

# Staff sign-in hardening (docs/decisions/0006-staff-mfa.md): lockout after repeated failures of
# any step (password, second factor, re-authentication), idle timeout, recent re-authentication.
IDX_STAFF_LOCKOUT_FAILURES = env_int("IDX_STAFF_LOCKOUT_FAILURES", 5)
IDX_STAFF_LOCKOUT_SECONDS = env_int("IDX_STAFF_LOCKOUT_SECONDS", 15 * 60)
IDX_STAFF_IDLE_SECONDS = env_int("IDX_STAFF_IDLE_SECONDS", 30 * 60)
IDX_REAUTH_SECONDS = env_int("IDX_REAUTH_SECONDS", 5 * 60)
IDX_MFA_PENDING_SECONDS = env_int("IDX_MFA_PENDING_SECONDS", 5 * 60)
