from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "idx.applications"
    label = "applications"
    verbose_name = "Applications"

    def ready(self) -> None:
        # The status message's purpose, so that cities can word it (checked at save), and the
        # deadline reminders procedures define, sent by `idx notifications reminders`.
        from idx.applications.messages import APPLICATION_PLACEHOLDERS
        from idx.applications.reminders import reminders_send
        from idx.notifications.reminders import register_reminders
        from idx.notifications.services import register_placeholders

        for purpose, placeholders in APPLICATION_PLACEHOLDERS.items():
            register_placeholders(purpose, placeholders)
        register_reminders(reminders_send)
