from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo loader (``idx demo``, ``demo_load``): municipalities, staff, residents, procedures
    and applications to try IDX with. It may import every domain; nothing imports it but the
    console script and tests."""

    name = "idx.demo"
    label = "demo"
    verbose_name = "Demo"
