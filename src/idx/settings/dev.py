"""Local development and the demo: debug on, demo plugins allowed."""

import os

from idx.common.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("IDX_DEBUG", True)
IDX_DEMO = True
IDX_DEMO_IDP = env_bool("IDX_DEMO_IDP", True)
IDX_DEMO_PAY = env_bool("IDX_DEMO_PAY", True)
IDX_DEMO_LINE = env_bool("IDX_DEMO_LINE", True)
if IDX_DEMO_LINE:
    # The demo's LINE channel is the in-project stand-in at /demo-line/ unless one is configured.
    IDX_LINE_CHANNEL_ACCESS_TOKEN = IDX_LINE_CHANNEL_ACCESS_TOKEN or "demo-line-channel-access-token"  # noqa: F405
    IDX_LINE_CHANNEL_SECRET = IDX_LINE_CHANNEL_SECRET or "demo-line-channel-secret"  # noqa: F405
    if "IDX_LINE_API_BASE" not in os.environ:
        IDX_LINE_API_BASE = "http://127.0.0.1:8000/demo-line"
