from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Bulk import: applications from other systems' CSV and Excel files, all or nothing."""

    name = "idx.imports"
    label = "imports"
    verbose_name = "Imports"
