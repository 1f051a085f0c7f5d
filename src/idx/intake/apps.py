from django.apps import AppConfig


class IntakeConfig(AppConfig):
    """Paper into the same pipeline: printed forms, scans read by machine, verified by a clerk."""

    name = "idx.intake"
    label = "intake"
    verbose_name = "Intake"
