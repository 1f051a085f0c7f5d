from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "idx.audit"
    label = "audit"
    verbose_name = "Audit log"
