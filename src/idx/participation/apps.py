from django.apps import AppConfig


class ParticipationConfig(AppConfig):
    name = "idx.participation"
    label = "participation"
    verbose_name = "Participation (processes, proposals, supports, budgeting)"
    default_auto_field = "django.db.models.BigAutoField"
