from django.apps import AppConfig


class IdentityConfig(AppConfig):
    name = "idx.identity"
    label = "identity"
    verbose_name = "Identity"

    def ready(self) -> None:
        # Register the shipped login-method plugins ("oidc" and "demo") in idx.identity.contrib.login_methods.
        import idx.identity.contrib.oidc.plugins  # noqa: F401
