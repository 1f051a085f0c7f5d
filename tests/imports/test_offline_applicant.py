"""The applicant of an application that reached the city off-line (an imported row, a paper form)."""

from __future__ import annotations

import datetime as dt

from idx.identity.models import Role, User
from idx.identity.services import offline_applicant

BIRTH = dt.date(1990, 4, 1)


def test_one_resident_with_the_name_and_birth_date_is_found(iga, resident, clerk):
    User.objects.filter(pk=resident.pk).update(full_name="伊賀 花子", verified_birthdate=BIRTH)
    found = offline_applicant(
        municipality=iga, full_name="伊賀　花子", birthdate=BIRTH, actor=clerk, source="import"
    )
    assert found.pk == resident.pk


def test_no_match_or_two_matches_make_a_record_that_cannot_sign_in(iga, resident, other_resident, clerk):
    User.objects.filter(pk__in=[resident.pk, other_resident.pk]).update(
        full_name="伊賀花子", verified_birthdate=BIRTH
    )
    made = offline_applicant(
        municipality=iga, full_name="伊賀花子", birthdate=BIRTH, actor=clerk, source="paper"
    )
    assert made.pk not in (resident.pk, other_resident.pk)
    assert made.role == Role.RESIDENT and made.email == "" and not made.has_usable_password()
    assert made.municipality_id == iga.pk
    other = offline_applicant(
        municipality=iga, full_name="名張太郎", birthdate=None, actor=clerk, source="import"
    )
    assert other.pk != made.pk and other.full_name == "名張太郎"


def test_a_resident_of_another_municipality_is_never_found(iga, watarai_resident, clerk):
    User.objects.filter(pk=watarai_resident.pk).update(full_name="度会一郎", verified_birthdate=BIRTH)
    made = offline_applicant(
        municipality=iga, full_name="度会一郎", birthdate=BIRTH, actor=clerk, source="import"
    )
    assert made.pk != watarai_resident.pk and made.municipality_id == iga.pk
