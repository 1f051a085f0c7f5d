from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "idx.insights"
    label = "insights"
    verbose_name = "Insights (statistics and EBPM)"
    default_auto_field = "django.db.models.BigAutoField"
