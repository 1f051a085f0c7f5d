from django.apps import AppConfig


class ProceduresConfig(AppConfig):
    name = "idx.procedures"
    label = "procedures"
    verbose_name = "Procedures"
