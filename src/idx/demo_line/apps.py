from django.apps import AppConfig


class DemoLineConfig(AppConfig):
    name = "idx.demo_line"
    label = "demo_line"
    verbose_name = "Demo LINE stand-in"
    default_auto_field = "django.db.models.BigAutoField"
