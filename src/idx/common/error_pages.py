"""The project's own "not found" page.

On a host that serves the resident portal it is a portal page like any other (header, language
switch, the way back and the assistant), so a resident who followed an old link is not stranded;
where the portal is not mounted (a back-office-only node) it is a plain page that needs no portal
URL.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound
from django.template import loader


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    portal = settings.IDX_ROLE in ("portal", "all") and getattr(request, "municipality", None) is not None
    template = loader.get_template("404.html" if portal else "404_plain.html")
    return HttpResponseNotFound(template.render({"request_path": request.path}, request))
