from django.apps import AppConfig


class PublicCommentConfig(AppConfig):
    name = "idx.public_comment"
    label = "public_comment"
    verbose_name = "Public comment (パブリックコメント)"
    default_auto_field = "django.db.models.BigAutoField"
