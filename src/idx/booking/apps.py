from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "idx.booking"
    label = "booking"
    verbose_name = "Counter bookings and waiting tickets"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The message purposes of bookings, so that cities can word them (checked at save).
        from idx.booking.messages import BOOKING_PLACEHOLDERS
        from idx.notifications.services import register_placeholders

        for purpose, placeholders in BOOKING_PLACEHOLDERS.items():
            register_placeholders(purpose, placeholders)
