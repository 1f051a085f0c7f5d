from django.apps import AppConfig


class CommonConfig(AppConfig):
    name = "idx.common"
    label = "common"
    verbose_name = "Municipalities"
