import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "idx.settings.production")
application = get_wsgi_application()
# What start-up loaded lives as long as the worker: kept out of the collector's scans, a request no
# longer pays for a full collection over Django's own objects (see docs/performance.md, row H).
gc.freeze()
