from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "idx.payments"
    label = "payments"
    verbose_name = "Payments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Register the shipped payment providers in idx.payments.providers.providers.
        import idx.payments.contrib.counter  # noqa: F401
        import idx.payments.contrib.eltax  # noqa: F401
        import idx.payments.contrib.hosted  # noqa: F401
        import idx.payments.contrib.jpqr  # noqa: F401

        # Applications ask about fees through the checks registered here (they import no payments).
        from idx.applications.fees import FeeChecks, fee_checks_register
        from idx.payments import selectors

        fee_checks_register(
            FeeChecks(
                payment_running=lambda application: selectors.pending_payment(application) is not None,
                due_before_submission=selectors.payment_due_before_submission,
                has_payments=selectors.application_has_payments,
            )
        )
