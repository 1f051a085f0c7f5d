"""Production: refuses to start with a default secret or demo plugins, and turns on HTTPS hardening."""

from django.core.exceptions import ImproperlyConfigured

from idx.common.env import env_bool, env_int

from .base import *  # noqa: F403
from .base import SECRET_KEY

DEBUG = False
IDX_DEMO = False
if SECRET_KEY.startswith("insecure-") or len(SECRET_KEY) < 40:
    raise ImproperlyConfigured("Set IDX_SECRET_KEY (or IDX_SECRET_KEY_FILE) to a long random value")
if IDX_DEMO_IDP:  # noqa: F405
    raise ImproperlyConfigured("IDX_DEMO_IDP must not be enabled in production: it signs anyone in")
if IDX_DEMO_LINE:  # noqa: F405
    raise ImproperlyConfigured("IDX_DEMO_LINE must not be enabled in production: it is a stand-in for LINE")
if IDX_DEMO_PAY:  # noqa: F405
    raise ImproperlyConfigured("IDX_DEMO_PAY must not be enabled in production: it takes no real money")
if IDX_CORE_SYSTEM_ADAPTER == "demo":  # noqa: F405
    raise ImproperlyConfigured("IDX_CORE_SYSTEM_ADAPTER=demo is a fictional 住民記録: not for production")
if CACHES["default"]["BACKEND"].endswith(("locmem.LocMemCache", "dummy.DummyCache")):  # noqa: F405
    raise ImproperlyConfigured(
        "Production needs a cache shared by every worker (rate limits count there): leave IDX_CACHE_URL "
        "empty for the database or set it to a redis:// URL"
    )
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
LANGUAGE_COOKIE_SECURE = True
SECURE_SSL_REDIRECT = env_bool("IDX_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("IDX_HSTS_SECONDS", 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
