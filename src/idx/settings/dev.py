"""Local development and the demo: debug on, demo plugins allowed."""

from idx.common.env import env_bool

from .base import *  # noqa: F403

DEBUG = env_bool("IDX_DEBUG", True)
IDX_DEMO = True
IDX_DEMO_IDP = env_bool("IDX_DEMO_IDP", True)
IDX_DEMO_PAY = env_bool("IDX_DEMO_PAY", True)
