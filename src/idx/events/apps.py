from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "idx.events"
    label = "events"
    verbose_name = "Events and courses"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from idx.events import services
        from idx.events.messages import EVENT_PLACEHOLDERS
        from idx.notifications.reminders import register_reminders
        from idx.notifications.services import register_placeholders
        from idx.payments.payables import Payable, payable_register

        for purpose, placeholders in EVENT_PLACEHOLDERS.items():
            register_placeholders(purpose, placeholders)
        register_reminders(services.reminders_send)
        # Fees of registrations are paid through payments, which import nothing of events.
        payable_register(
            Payable(
                kind=services.PAYABLE_KIND,
                paid=lambda registration_id, payment_id: services.registration_mark_paid(registration_id),
                refunded=lambda registration_id, payment_id: services.registration_mark_refunded(
                    registration_id
                ),
                expired=lambda registration_id, payment_id: services.registration_expire_unpaid(
                    registration_id
                ),
            )
        )
