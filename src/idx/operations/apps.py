from django.apps import AppConfig


class OperationsConfig(AppConfig):
    name = "idx.operations"
    label = "operations"
    verbose_name = "Operations"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The request id follows a request into its tasks (idx.operations.signals).
        import idx.operations.signals  # noqa: F401
