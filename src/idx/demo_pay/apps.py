from django.apps import AppConfig


class DemoPayConfig(AppConfig):
    name = "idx.demo_pay"
    label = "demo_pay"
    verbose_name = "Demo payment service"
    default_auto_field = "django.db.models.BigAutoField"
