"""Shared fixtures: two municipalities loaded once per session, personas, clients per host.

The demo loader (idx.demo.loader.load_municipality) creates departments, staff, residents
and imports all shipped procedure definitions; it runs once in ``django_db_setup`` and every
test then runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import pytest
from django.test import Client

from idx.common.models import Municipality
from idx.demo.loader import MUNICIPALITIES, load_municipality

IGA_HOST = "127.0.0.1"
WATARAI_HOST = "watarai.localhost"
IGA_CODE = MUNICIPALITIES[0]["code"]
WATARAI_CODE = MUNICIPALITIES[1]["code"]
CHILD_ALLOWANCE = "child-allowance-certification"


def _load_municipalities() -> None:
    for spec in MUNICIPALITIES:
        load_municipality(spec)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # noqa: PT004
    """Load both municipalities once; tests roll back their own changes."""
    with django_db_blocker.unblock():
        _load_municipalities()


@pytest.fixture
def municipalities(db) -> dict[str, Municipality]:
    # A transactional test elsewhere may have flushed the database: load again when needed.
    if Municipality.objects.filter(code__in=[IGA_CODE, WATARAI_CODE]).count() != 2:
        _load_municipalities()
    return {
        "iga": Municipality.objects.get(code=IGA_CODE),
        "watarai": Municipality.objects.get(code=WATARAI_CODE),
    }


@pytest.fixture
def iga(municipalities) -> Municipality:
    return municipalities["iga"]


@pytest.fixture
def watarai(municipalities) -> Municipality:
    return municipalities["watarai"]


def _user(municipality: Municipality, email: str):
    from idx.identity.models import User

    return User.objects.select_related("department", "municipality").get(
        municipality=municipality, email=email
    )


@pytest.fixture
def resident(iga):
    return _user(iga, "resident1@iga.example.jp")


@pytest.fixture
def other_resident(iga):
    return _user(iga, "resident2@iga.example.jp")


@pytest.fixture
def watarai_resident(watarai):
    return _user(watarai, "resident1@watarai.example.jp")


@pytest.fixture
def clerk(iga):
    return _user(iga, "kodomo-katei@staff.iga.example.jp")


@pytest.fixture
def other_clerk(iga):
    """A second clerk of こども家庭課 (made for the test)."""
    from tests.factories import StaffFactory

    return StaffFactory(municipality=iga, department=clerk_department(iga), full_name="こども家庭課 二人目")


def clerk_department(municipality: Municipality):
    from idx.identity.models import Department

    return Department.objects.get(municipality=municipality, code="kodomo-katei")


@pytest.fixture
def clerk_other_department(iga):
    return _user(iga, "kaigo-koureifukushi@staff.iga.example.jp")


@pytest.fixture
def clerk_other_municipality(watarai):
    return _user(watarai, "kodomo-katei@staff.watarai.example.jp")


@pytest.fixture
def supervisor(iga):
    return _user(iga, "supervisor@staff.iga.example.jp")


@pytest.fixture
def city_admin(iga):
    return _user(iga, "admin@staff.iga.example.jp")


# ---- clients ----------------------------------------------------------------------------


@pytest.fixture
def iga_client(municipalities) -> Client:
    return Client(HTTP_HOST=IGA_HOST)


@pytest.fixture
def watarai_client(municipalities) -> Client:
    return Client(HTTP_HOST=WATARAI_HOST)


def signed_in(user, host: str = IGA_HOST, **kwargs: Any) -> Client:
    client = Client(HTTP_HOST=host, **kwargs)
    client.force_login(user)
    return client


def reauthenticated(client: Client) -> Client:
    """A signed-in staff client that has just re-authenticated (as /staff/reauth/ records it)."""
    import time

    from idx.identity.reauth import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = time.time()
    session.save()
    return client


@pytest.fixture
def resident_client(resident) -> Client:
    return signed_in(resident)


@pytest.fixture
def other_resident_client(other_resident) -> Client:
    return signed_in(other_resident)


@pytest.fixture
def clerk_client(clerk) -> Client:
    return signed_in(clerk)


@pytest.fixture
def supervisor_client(supervisor) -> Client:
    return signed_in(supervisor)


@pytest.fixture
def city_admin_client(city_admin) -> Client:
    return signed_in(city_admin)


# ---- applications --------------------------------------------------------------------------


def procedure(municipality: Municipality, code: str = CHILD_ALLOWANCE):
    from idx.procedures.models import Procedure

    return Procedure.objects.select_related("published_version", "department").get(
        municipality=municipality, code=code
    )


def example_answers(proc) -> dict[str, Any]:
    return copy.deepcopy(proc.published_version.definition["example"])


def make_draft(resident, code: str = CHILD_ALLOWANCE, answers: dict[str, Any] | None = None):
    from idx.applications import services

    proc = procedure(resident.municipality, code)
    application = services.application_start(resident=resident, procedure=proc)
    return services.application_save_answers(
        application=application, actor=resident, answers=example_answers(proc) if answers is None else answers
    )


def submit(*, application, actor, declaration_accepted: bool = True):
    """``application_submit`` as a resident would do it: signed with a demo card made out to the
    applicant when the procedure requires a signature (unsigned when the answers cannot be signed
    for, so the service reports what is wrong with them)."""
    from idx.applications import services
    from idx.applications.signing import SignatureRefused, requires_signature
    from idx.demo_idp.jpki import demo_signature

    signature = None
    if requires_signature(application) and application.status == "draft":
        with contextlib.suppress(SignatureRefused):
            signature = demo_signature(application)
    return services.application_submit(
        application=application, actor=actor, declaration_accepted=declaration_accepted, signature=signature
    )


def card_signature(application, digest: bytes) -> dict[str, str]:
    """What a card reader app sends to the API: the applicant's demo card signs ``digest``."""
    import base64

    from idx.applications.signing import applicant_facts
    from idx.demo_idp.jpki import CardFacts, card_certificate, sign_digest

    facts = applicant_facts(application)
    card = card_certificate(
        application.municipality,
        CardFacts(
            name=facts["name"], address=facts["address"], birthdate=facts["birth_date"], gender="other"
        ),
    )
    return {
        "value": base64.b64encode(sign_digest(card, digest)).decode(),
        "certificate": base64.b64encode(bytes(card.certificate_der)).decode(),
    }


def sign_at_demo_idp(client: Client, started, *, holder: str = "iga-taro", password: str = "sign1234"):
    """Follow the review page's redirect to the demo provider, sign there as ``holder`` and
    return the portal's answer to the signing callback (a redirect to the receipt when accepted)."""
    from urllib.parse import parse_qs, urlsplit

    assert started.status_code == 302, started.content[:500]
    parts = urlsplit(started["Location"])
    assert parts.path == "/demo-idp/authorize/", started["Location"]
    page = client.get(f"{parts.path}?{parts.query}")
    assert page.status_code == 200
    fields = {key: values[0] for key, values in parse_qs(parts.query).items()}
    back = client.post(parts.path, {**fields, "holder": holder, "pin": password, "action": "sign"})
    assert back.status_code == 302, back.content[:500]
    back_parts = urlsplit(back["Location"])
    return client.get(f"{back_parts.path}?{back_parts.query}")


def make_submitted(resident, code: str = CHILD_ALLOWANCE, answers: dict[str, Any] | None = None):
    """A submitted application (signed when the procedure requires it)."""
    draft = make_draft(resident, code, answers)
    return submit(application=draft, actor=resident)


def make_in_review(resident, staff, code: str = CHILD_ALLOWANCE):
    from idx.applications import services

    application = make_submitted(resident, code)
    return services.case_start_review(
        application=application, staff=staff, expected_version=application.row_version
    )


@pytest.fixture
def child_allowance(iga):
    return procedure(iga)


@pytest.fixture
def submitted_application(resident):
    """A submitted 児童手当 認定請求 made through the services with the definition's example answers."""
    return make_submitted(resident)


@pytest.fixture
def draft_application(resident):
    return make_draft(resident)


@pytest.fixture(autouse=True)
def back_channel_through_django(settings):
    """Server-to-server HTTP (OIDC back channel, CRL fetches) reaches this process's own views
    through the Django test client; the e2e tests cover the same calls over real sockets."""
    from idx.identity.signatures.trust import crl_cache

    settings.IDX_OIDC_TRANSPORT = "tests.identity.transport.DjangoClientAdapter"
    settings.IDX_PAYMENTS_TRANSPORT = "idx.demo_pay.testing.DjangoClientTransport"
    crl_cache.clear()
    yield
    crl_cache.clear()


def pytest_configure(config):
    # WhiteNoise warns when the collected static directory does not exist (tests never collect it).
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")
