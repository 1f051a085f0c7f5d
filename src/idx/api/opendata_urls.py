"""The open data catalog's public addresses outside /api/: DCAT documents and file downloads."""

from django.urls import path

from idx.api import ckan, dcat, opendata_files

urlpatterns = [
    path("catalog", dcat.catalog, name="dcat_catalog"),
    path("catalog.<str:format>", dcat.catalog, name="dcat_catalog_format"),
    path("dataset/<slug:name>.<str:format>", dcat.dataset, name="dcat_dataset"),
    path(
        "dataset/<slug:name>/resource/<str:resource_id>/download/<str:filename>",
        ckan.resource_download,
        name="opendata_download",
    ),
    path(
        "dataset/<slug:name>/resource/<str:resource_id>/version/<int:number>/download/<str:filename>",
        opendata_files.version_download,
        name="opendata_version_download",
    ),
]
