"""factory_boy factories for records the demo loader does not provide."""

from __future__ import annotations

import factory
from django.utils import timezone

from idx.identity.models import Role, User

PASSWORD = "correct-horse-battery-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.jp")
    full_name = factory.Sequence(lambda n: f"試験 太郎{n}")
    full_name_kana = "シケン タロウ"
    role = Role.RESIDENT
    preferred_language = "ja"
    email_verified_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        password = kwargs.pop("password", PASSWORD)
        return model_class.objects.create_user(*args, password=password, **kwargs)


class ResidentFactory(UserFactory):
    role = Role.RESIDENT


class StaffFactory(UserFactory):
    email = factory.Sequence(lambda n: f"staff{n}@staff.example.jp")
    role = Role.CLERK
