"""URL map: the front doors mounted depend on the deployment role (portal, backoffice or all)."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path
from django.views.i18n import set_language

from idx.common.views import healthz

urlpatterns: list[URLPattern | URLResolver] = [
    path("healthz", healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set_language"),
]
if settings.IDX_ROLE in ("backoffice", "all"):
    urlpatterns.append(path("staff/", include("idx.backoffice.urls")))
if settings.IDX_ROLE in ("portal", "all"):
    urlpatterns.append(path("", include("idx.portal.urls")))
urlpatterns.append(path("api/", include("idx.api.urls")))
