"""Local development and the demo: demo plugins allowed, debug pages only when asked for.

Debugging is an explicit choice (``IDX_DEBUG=true`` or ``idx demo --debug``): the demo is often
reached from other machines, and Django's debug pages show every URL pattern and setting.
"""

import os

from idx.common.addresses import local_base_url
from idx.common.env import env_bool, env_str
from idx.notifications.vapid import demo_key_pair

from .base import *  # noqa: F403
from .base import DATA_DIR, IDX_VAPID_PRIVATE_KEY, IDX_VAPID_PUBLIC_KEY

DEBUG = env_bool("IDX_DEBUG", False)
# Static files straight from the source folders too, so `idx runserver` needs no collectstatic.
WHITENOISE_USE_FINDERS = True
IDX_DEMO = True
IDX_DEMO_IDP = env_bool("IDX_DEMO_IDP", True)
IDX_DEMO_PAY = env_bool("IDX_DEMO_PAY", True)
IDX_CORE_SYSTEM_ADAPTER = env_str("IDX_CORE_SYSTEM_ADAPTER", "demo")  # the fictional 住民記録
IDX_DEMO_LINE = env_bool("IDX_DEMO_LINE", True)
if IDX_DEMO_LINE:
    # The demo's LINE channel is the in-project stand-in at /demo-line/ of this very server (the
    # address it serves, IDX_BIND) unless one is configured.
    IDX_LINE_CHANNEL_ACCESS_TOKEN = IDX_LINE_CHANNEL_ACCESS_TOKEN or "demo-line-channel-access-token"  # noqa: F405
    IDX_LINE_CHANNEL_SECRET = IDX_LINE_CHANNEL_SECRET or "demo-line-channel-secret"  # noqa: F405
    if "IDX_LINE_API_BASE" not in os.environ:
        IDX_LINE_API_BASE = f"{local_base_url()}/demo-line"
if not IDX_VAPID_PUBLIC_KEY and not IDX_VAPID_PRIVATE_KEY:
    # Web Push works out of the box: a key pair of this data folder, made on first start.
    IDX_VAPID_PUBLIC_KEY, IDX_VAPID_PRIVATE_KEY = demo_key_pair(DATA_DIR / "vapid-demo.json")
