from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "idx.events"
    label = "events"
    verbose_name = "Events and courses"
    default_auto_field = "django.db.models.BigAutoField"
