"""Which department an inquiry goes to when the resident does not know (「わからない」).

The city chooses its general desk (``InquiryDesk``) in the back office. Until it does, such
inquiries go to the department that handles inquiries about the city's services in general: the
one whose code the demo and most cities use for it, else the first department, so that no
inquiry is ever lost for want of a setting.
"""

from __future__ import annotations

from django.db import transaction

from idx.assist.models import InquiryDesk
from idx.audit.services import audit_record
from idx.common.models import Municipality
from idx.identity.models import Department, User

UNSURE = "unsure"  # the form's value for 「わからない」
FALLBACK_CODES = ("sogo-madoguchi", "shimin-seikatsu", "shimin", "koucho", "somu")


def general_desk(municipality: Municipality) -> Department | None:
    """The department that takes inquiries whose resident did not know where to send them."""
    desk = InquiryDesk.objects.select_related("department").filter(municipality=municipality).first()
    if desk is not None and desk.department.municipality_id == municipality.pk:
        return desk.department
    departments = Department.objects.filter(municipality=municipality)
    for code in FALLBACK_CODES:
        found = departments.filter(code=code).first()
        if found is not None:
            return found
    return departments.order_by("code").first()


def general_desk_set(*, municipality: Municipality, department: Department, actor: User) -> InquiryDesk:
    """Choose the general desk (a department of the same municipality)."""
    if department.municipality_id != municipality.pk:
        raise ValueError("department of another municipality")
    with transaction.atomic():
        desk, _made = InquiryDesk.objects.update_or_create(
            municipality=municipality, defaults={"department": department}
        )
        audit_record(
            municipality=municipality,
            actor=actor,
            action="inquiry.general_desk_set",
            target_type="department",
            target_id=department.pk,
            after={"department": department.code},
        )
    return desk
