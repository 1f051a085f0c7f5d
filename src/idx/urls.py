"""URL map: the front doors mounted depend on the deployment role (portal, backoffice or all)."""

from django.conf import settings
from django.urls import URLPattern, URLResolver, include, path

from idx.common.accessibility import accessibility_policy
from idx.common.language import display_set, furigana_set, language_set
from idx.common.security import security_txt

urlpatterns: list[URLPattern | URLResolver] = [
    # /healthz, /readyz and /metrics on every role (idx.operations).
    path("", include("idx.operations.urls")),
    path(".well-known/security.txt", security_txt, name="security_txt"),
    path("i18n/setlang/", language_set, name="set_language"),
    path("i18n/furigana/", furigana_set, name="furigana_set"),
    path("i18n/display/", display_set, name="display_set"),
    path("accessibility/", accessibility_policy, name="accessibility"),
]
if settings.IDX_ROLE in ("backoffice", "all"):
    urlpatterns.append(path("staff/", include("idx.backoffice.urls")))
if settings.IDX_ROLE in ("portal", "all"):
    urlpatterns.append(path("", include("idx.notifications.urls")))
    urlpatterns.append(path("", include("idx.payments.urls")))
    urlpatterns.append(path("", include("idx.portal.urls")))
urlpatterns.append(path("api/", include("idx.api.urls")))
urlpatterns.append(path("", include("idx.api.opendata_urls")))
if settings.IDX_ROLE in ("portal", "all"):
    urlpatterns.append(path("oidc/", include("idx.identity.contrib.oidc.urls")))
if settings.IDX_DEMO_LINE and settings.IDX_ROLE in ("portal", "all"):
    urlpatterns.append(path("demo-line/", include("idx.demo_line.urls")))
if getattr(settings, "IDX_DEMO_PAY", False):
    urlpatterns.append(path("demo-pay/", include("idx.demo_pay.urls")))
if settings.IDX_DEMO_IDP:
    urlpatterns.append(path("demo-idp/", include("idx.demo_idp.urls")))

handler404 = "idx.common.error_pages.not_found"
