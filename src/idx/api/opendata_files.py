"""Earlier files of an open data resource: each replaced file stays downloadable by its number."""

from __future__ import annotations

from django.http import Http404
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.views.decorators.http import require_GET

from idx.common.files import serve_private_file
from idx.opendata import selectors
from idx.opendata.models import ResourceVersion
from idx.opendata.selectors import NotInCatalog
from idx.web.http import IdxRequest


def version_url(version: ResourceVersion) -> str:
    resource = version.resource
    return reverse(
        "opendata_version_download",
        kwargs={
            "name": resource.dataset.name,
            "resource_id": str(resource.uid),
            "number": version.number,
            "filename": version.filename,
        },
    )


@require_GET
def version_download(
    request: IdxRequest, name: str, resource_id: str, number: int, filename: str
) -> HttpResponseBase:
    """A kept version of a published dataset's file, with the headers of the current download."""
    try:
        resource = selectors.resource_get_published(
            municipality=request.municipality, resource_id=resource_id
        )
    except NotInCatalog as exc:
        raise Http404 from exc
    version = resource.versions.filter(number=number).first()
    if resource.dataset.name != name or version is None or version.filename != filename:
        raise Http404
    response = serve_private_file(
        version.file, content_type=resource.media_type, as_attachment=True, filename=filename
    )
    response["Access-Control-Allow-Origin"] = "*"
    response["X-Content-Type-Options"] = "nosniff"
    return response
