from django.apps import AppConfig


class ChecksConfig(AppConfig):
    name = "idx.checks"
    label = "checks"
    verbose_name = "Automated checks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the shipped core-system adapters in idx.checks.adapters.adapters.
        import idx.checks.contrib.demo  # noqa: F401

        # Checks run after every submission and resubmission (idx.checks.signals).
        import idx.checks.signals  # noqa: F401
