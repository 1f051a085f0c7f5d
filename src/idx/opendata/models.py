"""The open data catalog: datasets, their resources (files), and tabular resources as rows.

A dataset is what CKAN calls a package and DCAT a dcat:Dataset; its resources are CKAN
resources and DCAT distributions. The publishing department is CKAN's organization. A CSV
resource is also loaded row by row (CKAN's DataStore) so that it can be queried.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import pick
from idx.common.models import TenantModel
from idx.identity.models import Department


class Theme(models.TextChoices):
    """The catalog's groups (CKAN groups, DCAT themes)."""

    DISASTER = "disaster", _("Disaster prevention")
    CHILDCARE = "childcare", _("Child-rearing")
    HEALTH_WELFARE = "health_welfare", _("Health and welfare")
    FACILITIES = "facilities", _("Public facilities")
    ENVIRONMENT = "environment", _("Waste and environment")
    TOURISM_EVENTS = "tourism_events", _("Tourism and events")
    POPULATION = "population", _("Population and statistics")
    ADMINISTRATION = "administration", _("Administration and digital services")


class Frequency(models.TextChoices):
    """How often a dataset is updated (the EU frequency vocabulary that DCAT-AP uses)."""

    DAILY = "DAILY", _("Daily")
    WEEKLY = "WEEKLY", _("Weekly")
    MONTHLY = "MONTHLY", _("Monthly")
    QUARTERLY = "QUARTERLY", _("Quarterly")
    ANNUAL = "ANNUAL", _("Yearly")
    IRREGULAR = "IRREG", _("Irregularly")


class Dataset(TenantModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("Waiting for review")
        PUBLISHED = "published", _("Published")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # CKAN's `name`: the dataset's address, lowercase letters, digits, hyphens and underscores.
    name = models.SlugField(max_length=100)
    titles = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict)
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="datasets")
    theme = models.CharField(max_length=20, choices=Theme.choices)
    tags = models.JSONField(default=list, blank=True)
    # "|防災|避難所|": finds a tag exactly on every database, JSON containment or not.
    tag_index = models.TextField(blank=True)
    license_id = models.CharField(max_length=20)
    frequency = models.CharField(max_length=10, choices=Frequency.choices)
    spatial = models.CharField(max_length=100, blank=True)
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    contact_name = models.CharField(max_length=100)
    contact_email = models.EmailField(blank=True)
    contact_phone = models.CharField(max_length=20, blank=True)
    # The number of the standard municipal open dataset it follows (03 指定緊急避難場所一覧), if any.
    standard = models.CharField(max_length=4, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # Lowercased titles, descriptions, tags and name: what a free-text search looks in.
    search_text = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "name"], name="dataset_name_unique_per_municipality"
            )
        ]
        indexes = [models.Index(fields=["municipality", "status", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def title(self) -> str:
        return pick(self.titles)

    @property
    def description(self) -> str:
        return pick(self.descriptions)

    @property
    def openness_stars(self) -> int:
        """Tim Berners-Lee's 5-star level of its best file: every file is under an open license (★),
        XLSX is structured (★★), CSV, JSON and GeoJSON are open formats (★★★). ★4 and ★5 (RDF data
        linked to other data) need files IDX does not take, so three is the most it claims."""
        return max((STARS.get(ResourceFormat(r.format), 1) for r in self.resources.all()), default=0)


class ResourceFormat(models.TextChoices):
    CSV = "CSV", "CSV"
    JSON = "JSON", "JSON"
    GEOJSON = "GeoJSON", "GeoJSON"
    XLSX = "XLSX", "XLSX"
    PDF = "PDF", "PDF"


MEDIA_TYPES = {
    ResourceFormat.CSV: "text/csv",
    ResourceFormat.JSON: "application/json",
    ResourceFormat.GEOJSON: "application/geo+json",
    ResourceFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ResourceFormat.PDF: "application/pdf",
}


STARS = {
    ResourceFormat.PDF: 1,
    ResourceFormat.XLSX: 2,
    ResourceFormat.CSV: 3,
    ResourceFormat.JSON: 3,
    ResourceFormat.GEOJSON: 3,
}


def resource_path(resource: Resource, filename: str) -> str:
    return f"opendata/{resource.dataset.municipality_id}/{resource.uid}/{filename}"


class Resource(models.Model):
    """One file of a dataset (a CKAN resource, a DCAT distribution)."""

    uid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    position = models.PositiveIntegerField(default=0)
    names = models.JSONField(default=dict)
    descriptions = models.JSONField(default=dict, blank=True)
    format = models.CharField(max_length=10, choices=ResourceFormat.choices)
    file = models.FileField(upload_to=resource_path, max_length=300)
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    # The DataStore's columns, [{"id": "名称", "type": "text"}, ...]; empty when not tabular.
    fields = models.JSONField(default=list, blank=True)
    row_count = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["dataset", "position", "id"]
        # package_search's format facet counts the files of the matching datasets by format.
        indexes = [models.Index(fields=["dataset", "format"], name="opendata_resource_format_idx")]

    def __str__(self) -> str:
        return self.filename

    @property
    def name(self) -> str:
        return pick(self.names)

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(ResourceFormat(self.format), "application/octet-stream")

    @property
    def datastore_active(self) -> bool:
        return bool(self.fields)


def version_path(version: ResourceVersion, filename: str) -> str:
    resource = version.resource
    return f"opendata/{resource.dataset.municipality_id}/{resource.uid}/v{version.number}/{filename}"


class ResourceVersion(models.Model):
    """A file a resource held before it was replaced: kept, numbered from 1, still downloadable."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    file = models.FileField(upload_to=version_path, max_length=300)
    filename = models.CharField(max_length=200)
    size = models.PositiveBigIntegerField(default=0)
    sha256 = models.CharField(max_length=64)
    row_count = models.PositiveIntegerField(default=0)
    replaced_at = models.DateTimeField()
    replaced_by = models.ForeignKey(
        "identity.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["resource", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="resource_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.filename} v{self.number}"

    @property
    def media_type(self) -> str:
        return self.resource.media_type


class DatastoreRecord(models.Model):
    """One row of a tabular resource; ``number`` is CKAN's ``_id`` (1, 2, ...)."""

    resource = models.ForeignKey(Resource, on_delete=models.CASCADE, related_name="records")
    number = models.PositiveIntegerField()
    data = models.JSONField()
    search_text = models.TextField(blank=True)

    class Meta:
        ordering = ["resource", "number"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "number"], name="datastore_record_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.resource_id}#{self.number}"
