"""CSRF on every form: each GET page of the portal and the back office, as the people who see it.

Every ``<form method="post">`` must carry ``csrfmiddlewaretoken``, and posts without the token
are refused. The test walks the URL configuration itself, so a new page is checked as soon as it
is added; a new page with URL parameters needs an entry in ``_kwargs`` below.
"""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import IGA_HOST, make_draft, make_submitted, signed_in


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "form":
            self._current = {
                "method": (found.get("method") or "get").lower(),
                "action": found.get("action"),
                "csrf": False,
            }
            self.forms.append(self._current)
        elif tag == "input" and self._current is not None and found.get("name") == "csrfmiddlewaretoken":
            self._current["csrf"] = bool(found.get("value"))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def _names(namespace: str) -> list[tuple[str, list[str]]]:
    """(url name, its parameters) for each named pattern in a namespace."""
    resolver = get_resolver()
    found: list[tuple[str, list[str]]] = []

    def walk(patterns: list[URLPattern | URLResolver]) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns)
            elif pattern.name:
                found.append((f"{namespace}:{pattern.name}", list(pattern.pattern.regex.groupindex)))

    sub = resolver.namespace_dict[namespace][1]
    walk(sub.url_patterns)
    return found


@pytest.fixture
def objects(resident, clerk):
    from idx.applications import services

    draft = make_draft(resident)
    submitted = make_submitted(resident)
    correction = make_submitted(resident)
    to_correct = services.case_request_correction(
        application=correction,
        staff=clerk,
        notes={"claimant.phone": "確認してください"},
        message="電話番号をご確認ください。",
        expected_version=correction.row_version,
    )
    first_step = draft.procedure_version.parsed.steps[0].id
    from idx.booking import selectors as booking_selectors
    from idx.booking.models import Service
    from idx.booking.services.bookings import booking_create
    from idx.booking.services.tickets import ticket_issue_walk_in
    from idx.notifications.unsubscribe import unsubscribe_token

    booking_service = Service.objects.get(municipality=resident.municipality, code="kosodate-soudan")
    free = next(
        slot
        for day in booking_selectors.slot_days(service=booking_service)
        for slot in day.slots
        if slot.free
    )
    from idx.demo.opendata import load_open_data

    load_open_data(resident.municipality, author=None, reviewer=None)
    return {
        "booking": booking_create(resident=resident, service=booking_service, starts_at=free.starts_at),
        "ticket": ticket_issue_walk_in(staff=clerk, service=booking_service),
        "draft": draft,
        "submitted": submitted,
        "correction": to_correct,
        "first_step": first_step,
        "unsubscribe_token": unsubscribe_token(resident.pk, "events"),
        **_assist_objects(resident),
    }


def _assist_objects(resident) -> dict[str, Any]:
    from idx.assist.services.faqs import FaqData, faq_save
    from idx.assist.services.gaps import gap_record
    from idx.assist.services.inquiries import inquiry_create
    from idx.identity.models import Department

    municipality = resident.municipality
    faq = faq_save(
        municipality=municipality,
        actor=None,
        data=FaqData(
            key="living-csrf",
            category="living",
            department_code="kodomo-katei",
            procedures=[],
            texts={"ja": ("質問", "回答")},
        ),
    )
    inquiry, token = inquiry_create(
        municipality=municipality,
        department=Department.objects.get(municipality=municipality, code="kodomo-katei"),
        resident=resident,
        name="",
        email="",
        subject="件名",
        body="本文",
        language="ja",
    )
    gap = gap_record(
        municipality=municipality, question="CSRF の確認", language="ja", reason="unsure", best_faq_id=None
    )
    from idx.identity.models import User as Staff
    from idx.payments.selectors import fee_of
    from idx.payments.services import payment_record_counter
    from tests.conftest import make_draft as draft_of

    certificate = draft_of(resident, "residence-certificate-request")
    payment = payment_record_counter(
        application=certificate,
        staff=Staff.objects.get(municipality=municipality, email="jumin@staff.iga.example.jp"),
        method="cash",
        amount=fee_of(certificate).amount,
        slip_number="CSRF-1",
    )
    from idx.identity.services import personal_token_create

    api_token, _raw = personal_token_create(
        user=resident, name="家計簿アプリ", scopes=["applications:read"], expires_in_days=30
    )
    return {
        "faq": faq,
        "inquiry": inquiry,
        "inquiry_token": token,
        "gap": gap,
        "payment": payment,
        "api_token": api_token,
    }


def _dx_plan(objects: dict[str, Any]) -> dict[str, Any]:
    """伊賀市's DX plan (loaded once per walk): an initiative with a draft note, a published one, a milestone."""
    if "dx_plan" not in objects:
        from idx.demo.dxplan import load_dx_plan
        from idx.dxplan.models import Initiative, ProgressNote

        municipality = objects["draft"].municipality
        load_dx_plan(municipality)
        initiative = Initiative.objects.get(municipality=municipality, code="assisted-counter")
        draft = ProgressNote.objects.create(
            municipality=municipality,
            initiative=initiative,
            fiscal_year=2025,
            quarter=1,
            status="on_track",
            texts={"ja": "下書き"},
        )
        published = initiative.notes.exclude(published_at=None).first()
        code = initiative.code
        objects["dx_plan"] = {
            "code": [{"code": code}],
            "notes": [{"code": code, "note_id": draft.pk}, {"code": code, "note_id": published.pk}],
            "milestone": [{"code": code, "milestone_id": initiative.milestones.first().pk}],
        }
    return objects["dx_plan"]


def _participation(objects: dict[str, Any]) -> dict[str, Any]:
    """伊賀市's demo participation themes (loaded once per walk)."""
    if "participation" not in objects:
        from idx.demo.participation import load_participation
        from idx.participation.models import Process

        municipality = objects["draft"].municipality
        load_participation(municipality, staff_domain="staff.iga.example.jp")
        akiya = Process.objects.get(municipality=municipality, slug="ueno-akiya")
        objects["participation"] = {
            "slug": [{"slug": "ueno-akiya"}, {"slug": "machinaka-bench"}],
            "proposal": [{"slug": "ueno-akiya", "number": "1"}, {"slug": "machinaka-bench", "number": "1"}],
            "process": [{"pk": str(akiya.pk)}],
            "staff_proposal": [{"pk": str(akiya.proposals.get(number=1).pk)}],
            "phase": [
                {"pk": str(akiya.pk), "phase_pk": str(phase.pk)}
                for phase in akiya.phases.order_by("-starts_on")[:1]
            ],
            # Participatory budgeting: voting now, and a published count.
            "budget_slug": [{"slug": "chiiki-yosan"}],
            "budget_results": [{"slug": "asobiba-yosan"}],
            "budget_process": [
                {"pk": str(Process.objects.get(municipality=municipality, slug=slug).pk)}
                for slug in ("chiiki-yosan", "asobiba-yosan")
            ],
        }
    return objects["participation"]


def _insights(objects: dict[str, Any]) -> dict[str, Any]:
    """伊賀市's demo KPIs and intervention (loaded once per walk, no facts needed)."""
    if "insights" not in objects:
        from idx.demo.insights import load_insights
        from idx.insights.models import Intervention

        kpis = load_insights(objects["draft"].municipality)
        intervention = Intervention.objects.get(municipality=objects["draft"].municipality)
        objects["insights"] = {
            "kpi": [{"pk": kpis[0].pk}],
            "code": [{"code": kpis[0].code}],
            "intervention": [{"pk": intervention.pk}],
        }
    return objects["insights"]


def _public_comment(objects: dict[str, Any]) -> dict[str, Any]:
    """A draft and an open パブリックコメント of the walk's municipality (made once per walk)."""
    if "public_comment" not in objects:
        from idx.identity.models import Department
        from tests.public_comment.conftest import make_case

        municipality = objects["draft"].municipality
        department = Department.objects.get(municipality=municipality, code="kodomo-katei")
        draft = make_case(municipality, department, publish=False)
        published = make_case(municipality, department)
        objects["public_comment"] = {
            "draft": [{"uid": str(draft.uid)}],
            "open": [{"uid": str(published.uid)}],
            "both": [{"uid": str(draft.uid)}, {"uid": str(published.uid)}],
        }
    return objects["public_comment"]


def _kwargs(name: str, objects: dict[str, Any]) -> list[dict[str, str]]:
    draft, submitted, correction = objects["draft"], objects["submitted"], objects["correction"]
    code = draft.procedure.code
    first_item = draft.procedure.published_version.definition["steps"][0]["items"][0]["field"]
    table: dict[str, list[dict[str, str]]] = {
        "portal:procedure_detail": [{"code": code}],
        "portal:application_start": [{"code": code}],
        "portal:application_detail": [
            {"public_id": str(a.public_id)} for a in (draft, submitted, correction)
        ],
        "portal:application_step": [{"public_id": str(draft.public_id), "step_id": objects["first_step"]}],
        "portal:application_review": [{"public_id": str(draft.public_id)}],
        "portal:application_receipt": [{"public_id": str(submitted.public_id)}],
        "portal:application_receipt_pdf": [],  # a PDF, no forms
        "portal:application_withdraw": [{"public_id": str(submitted.public_id)}],
        "portal:application_discard": [{"public_id": str(draft.public_id)}],
        "portal:application_correct": [{"public_id": str(correction.public_id)}],
        "portal:attachment_download": [],  # a file download
        "portal:verify_email": [{"token": "not-a-valid-token"}],
        "backoffice:case_detail": [{"public_id": str(a.public_id)} for a in (submitted, correction)],
        "backoffice:case_assign_self": [{"public_id": str(submitted.public_id)}],
        "backoffice:case_start_review": [{"public_id": str(submitted.public_id)}],
        "backoffice:case_request_correction": [{"public_id": str(submitted.public_id)}],
        "backoffice:case_decide": [{"public_id": str(submitted.public_id)}],
        "backoffice:case_comment": [{"public_id": str(submitted.public_id)}],
        "backoffice:case_attachment": [],  # a file download
        "backoffice:case_my_number": [{"public_id": str(submitted.public_id)}],
        "backoffice:case_checks_run": [],  # POST only
        "backoffice:procedure_edit": [{"code": code}],
        "backoffice:procedure_builder": [{"code": code}],
        "backoffice:procedure_builder_action": [],  # POST only
        "backoffice:procedure_builder_add": [{"code": code}],
        "backoffice:procedure_builder_step_add": [{"code": code}],
        "backoffice:procedure_builder_step": [{"code": code, "step_id": objects["first_step"]}],
        "backoffice:procedure_builder_step_delete": [{"code": code, "step_id": objects["first_step"]}],
        "backoffice:procedure_builder_item": [{"code": code, "path": first_item}],
        "backoffice:procedure_builder_move": [{"code": code, "path": first_item}],
        "backoffice:procedure_builder_delete": [{"code": code, "path": first_item}],
        "backoffice:procedure_builder_preview": [{"code": code}],
        "backoffice:procedure_builder_easyja": [],  # JSON for builder.js
        # A saved filter's own confirmation page; tests/backoffice/test_queue.py covers its form.
        "backoffice:queue_filter_delete": [],
        "backoffice:case_correction": [{"public_id": str(submitted.public_id)}],
        "portal:opendata_detail": [{"name": "evacuation-sites"}],
        "portal:opendata_standard_template": [],  # a CSV download
        "portal:opendata_standard_schema": [],  # a JSON download
        "backoffice:opendata_detail": [{"name": "evacuation-sites"}],
        # Review and withdrawal answer a dataset in that state only; tests/backoffice/test_opendata_staff.py.
        "backoffice:opendata_review": [{"name": "evacuation-sites"}],
        "backoffice:opendata_withdraw": [{"name": "evacuation-sites"}],
        "backoffice:procedure_versions": [{"code": code}],
        "backoffice:procedure_version_diff": [{"code": code}],
        "backoffice:procedure_publish": [{"code": code}],
        "backoffice:procedure_withdraw": [{"code": code}],
        "backoffice:passkey_options": [],  # JSON for webauthn.js, POST only
        "backoffice:passkey_verify": [],
        "portal:counter_token": [{"token": "not-a-valid-token"}],
        # Counter pages answer only the clerk who started the draft; tests/test_counter.py covers them.
        "backoffice:counter_step": [],
        "backoffice:counter_review": [],
        "backoffice:counter_show": [],
        # Alert pages answer only crisis-management staff; tests/notifications covers their forms.
        "backoffice:alert_update": [],
        "backoffice:alert_confirm": [],
        "backoffice:alert_cancel": [],
        "notifications:unsubscribe": [{"token": objects["unsubscribe_token"]}],
        "notifications:alert_cap": [],  # XML, no forms
        "backoffice:template_edit": [{"purpose": "application_status", "language": "ja"}],
        # Answers only when the city has its own wording; tests/backoffice/test_message_templates.py.
        "backoffice:template_reset": [],
        "backoffice:place_department": [{"code": "kodomo-katei"}],
        "portal:booking_service": [{"code": "kosodate-soudan"}],
        "portal:booking_detail": [{"public_id": str(objects["booking"].public_id)}],
        "portal:booking_cancel": [{"public_id": str(objects["booking"].public_id)}],
        "portal:booking_rebook": [{"public_id": str(objects["booking"].public_id)}],
        "portal:booking_calendar": [],  # an .ics file, no forms
        "portal:booking_ticket": [{"code": objects["ticket"].code}],
        "backoffice:booking_cancel": [],  # POST only
        "backoffice:booking_ticket_move": [],  # POST only
        "backoffice:booking_service_edit": [{"service_id": str(objects["ticket"].service_id)}],
        "backoffice:booking_closure_delete": [],  # POST only
        "portal:application_pay": [{"public_id": str(a.public_id)} for a in (draft, submitted)],
        "portal:payment_detail": [{"reference": objects["payment"].reference}],
        "portal:payment_return": [],  # a redirect
        "portal:payment_receipt_pdf": [],  # a PDF
        "backoffice:payment_detail": [{"reference": objects["payment"].reference}],
        "backoffice:payment_refund": [],  # POST only
        "backoffice:counter_payment": [{"public_id": str(a.public_id)} for a in (draft, submitted)],
        "backoffice:settlement_detail": [],  # tests/payments/test_reconciliation.py covers its forms
        "backoffice:settlement_resolve": [],
        "portal:faq_detail": [{"key": objects["faq"].key}],
        "portal:inquiry_detail": [{"public_id": objects["inquiry"].public_id}],
        "portal:inquiry_reply": [],  # POST only
        "backoffice:faq_edit": [{"key": objects["faq"].key}],
        "backoffice:gap_resolve": [],  # POST only
        "backoffice:inquiry_detail": [{"public_id": objects["inquiry"].public_id}],
        "backoffice:inquiry_answer": [],  # POST only
        "backoffice:inquiry_to_faq": [],
        "backoffice:inquiry_close": [],
        "portal:account_token_revoke": [{"token_id": str(objects["api_token"].pk)}],
        "backoffice:dxplan_initiative": _dx_plan(objects)["code"],
        "backoffice:dxplan_initiative_edit": _dx_plan(objects)["code"],
        "backoffice:dxplan_note_new": _dx_plan(objects)["code"],
        "backoffice:dxplan_milestone_new": _dx_plan(objects)["code"],
        "backoffice:dxplan_targets": _dx_plan(objects)["code"],
        "backoffice:dxplan_note": _dx_plan(objects)["notes"],
        "backoffice:dxplan_note_publish": _dx_plan(objects)["notes"],
        "backoffice:dxplan_milestone": _dx_plan(objects)["milestone"],
        "portal:dxplan_initiative": _dx_plan(objects)["code"],
        "backoffice:insights_csv": [{"table": "channels"}],
        "backoffice:insights_kpi": _insights(objects)["kpi"],
        "backoffice:insights_kpi_csv": _insights(objects)["kpi"],
        "backoffice:insights_kpi_edit": _insights(objects)["kpi"],
        "backoffice:insights_intervention_edit": _insights(objects)["intervention"],
        "portal:insights_public_kpi": _insights(objects)["code"],
        "portal:insights_public_kpi_csv": _insights(objects)["code"],
        "portal:participation_process": _participation(objects)["slug"],
        "portal:participation_proposal_new": _participation(objects)["slug"][:1],
        "portal:participation_proposal": _participation(objects)["proposal"],
        "portal:participation_report": _participation(objects)["proposal"][:1],
        "portal:participation_support": [],  # POST only
        "portal:participation_comment": [],  # POST only
        "portal:participation_appeal": [],  # the author of a hidden text only; tests/participation
        "portal:participation_ballot": _participation(objects)["budget_slug"],
        "portal:participation_ballot_cast": [],  # POST only
        "portal:participation_budget_results": _participation(objects)["budget_results"],
        "backoffice:participation_budget": _participation(objects)["budget_process"],
        # Only a counted, unpublished vote has its second look (the demo's are open or published).
        "backoffice:participation_budget_publish": [],
        "backoffice:participation_process": _participation(objects)["process"],
        "backoffice:participation_results": _participation(objects)["process"],
        "backoffice:participation_proposal": _participation(objects)["staff_proposal"],
        "backoffice:participation_answer_confirm": [],  # a redirect without a draft; tests/participation
        "backoffice:participation_moderate": [],  # POST only
        "backoffice:participation_process_edit": _participation(objects)["process"],
        # A published theme's second look leads back to its page; a draft's: tests/participation
        "backoffice:participation_process_publish": [],
        "backoffice:participation_phase_edit": _participation(objects)["phase"],
        "backoffice:participation_phase_remove": _participation(objects)["phase"],
        "portal:public_comment_detail": _public_comment(objects)["open"],
        "portal:public_comment_opinion": _public_comment(objects)["open"],
        "portal:public_comment_confirm": [],  # needs opinions in the session; tests/public_comment
        "portal:public_comment_done": [],  # a redirect without a receipt in the session
        "portal:public_comment_result": [],  # no form; tests/public_comment/test_pages.py
        "portal:public_comment_document": [],  # a PDF download
        "backoffice:public_comment_detail": _public_comment(objects)["both"],
        "backoffice:public_comment_publish": _public_comment(objects)["draft"],
        "backoffice:public_comment_comments": _public_comment(objects)["open"],
        "backoffice:public_comment_csv": [],  # a CSV download
        # The result pages answer a closed case only; tests/public_comment/test_pages.py covers them.
        "backoffice:public_comment_result": [],
        "backoffice:public_comment_result_publish": [],
        "backoffice:public_comment_document": [],  # a PDF download
        # Events are made per test: tests/events/test_pages.py walks these pages and their forms.
        "portal:event_detail": [],
        "portal:event_registration": [],
        "portal:event_registration_cancel": [],
        "portal:event_registration_pay": [],  # POST only
        "backoffice:event_participants": [],
        "backoffice:event_check_in": [],
        "backoffice:event_cancel": [],
        "backoffice:event_edit": [],  # tests/events/test_edit.py posts its form and its second look
        # Import sources and runs are made per test: tests/imports/test_pages.py posts their forms.
        "backoffice:import_source": [],
        "backoffice:import_source_mapping": [],
        "backoffice:import_run": [],
        "backoffice:import_run_confirm": [],  # POST only
        # Surveys are made per test: tests/surveys/test_pages.py walks these pages and their forms.
        "portal:survey_answer": [],
        "portal:survey_thanks": [],
        "portal:survey_results": [],
        "backoffice:survey_detail": [],
        "backoffice:survey_csv": [],  # a CSV download
        "backoffice:survey_confirm": [],
        "backoffice:survey_edit": [],  # a draft's settings; tests/surveys/test_pages.py
        # A draft survey's questions in the builder: tests/surveys/test_builder.py walks them.
        "backoffice:survey_builder": [],
        "backoffice:survey_builder_action": [],  # POST only
        "backoffice:survey_builder_add": [],
        "backoffice:survey_builder_step_add": [],
        "backoffice:survey_builder_step": [],
        "backoffice:survey_builder_step_delete": [],
        "backoffice:survey_builder_item": [],
        "backoffice:survey_builder_move": [],
        "backoffice:survey_builder_delete": [],
        "backoffice:survey_builder_preview": [],
        "backoffice:survey_builder_easyja": [],  # JSON for builder.js
        # A batch of uploaded scans is made per test: tests/intake/test_pages.py opens its page.
        "backoffice:intake_batch": [],
        # A read form is made per test: tests/intake/test_verification_pages.py posts its screen.
        "backoffice:intake_form": [],
        "backoffice:intake_page_image": [],  # an image
        "backoffice:intake_item_image": [],  # an image
        "portal:procedure_paper_form": [],  # a PDF download
        # Hand-over targets are made per test: tests/handover/test_pages_and_api.py posts their forms.
        "backoffice:handover_target": [],
        "backoffice:handover_edit": [],
        "backoffice:handover_run": [],
        "backoffice:handover_manifest": [],  # a JSON download
    }
    if name not in table:
        pytest.fail(
            f"{name} takes URL parameters: add them to _kwargs in tests/security/test_csrf.py "
            "so that its forms are checked for CSRF tokens"
        )
    return table[name]


def _check_page(client: Client, url: str, seen: list[str]) -> None:
    response = client.get(url)
    if response.status_code >= 500:
        pytest.fail(f"GET {url} answered {response.status_code}")
    if not response.get("Content-Type", "").startswith("text/html") or not hasattr(response, "content"):
        return
    parser = _Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        if form["method"] == "post":
            seen.append(url)
            assert form["csrf"], f"a POST form on {url} (action {form['action']!r}) has no CSRF token"


@pytest.mark.parametrize(
    ("namespace", "who"),
    [("portal", "resident"), ("backoffice", "city_admin"), ("notifications", "resident")],
)
def test_every_post_form_carries_a_csrf_token(request, objects, namespace, who):
    users = {
        "resident": request.getfixturevalue("resident"),
        "city_admin": request.getfixturevalue("city_admin"),
    }
    clients = [Client(HTTP_HOST=IGA_HOST), signed_in(users[who])]
    if namespace == "backoffice":
        clients.append(signed_in(request.getfixturevalue("clerk")))
    seen: list[str] = []
    for name, params in _names(namespace):
        if name.endswith(":logout"):
            continue  # POST only; signing out the client would spoil the rest of the walk
        for kwargs in _kwargs(name, objects) if params else [{}]:
            url = reverse(name, kwargs=kwargs)
            for client in clients:
                _check_page(client, url, seen)
    # The walk found the forms it should have: sign-in, the language switch, the application steps…
    assert len(seen) >= 5, seen


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/accounts/login/", {"email": "resident1@iga.example.jp", "password": "x"}),
        ("/accounts/signup/", {"full_name": "a", "email": "a@example.jp", "password": "kumo-no-ue-2026"}),
        ("/staff/login/", {"email": "kodomo-katei@staff.iga.example.jp", "password": "x"}),
        ("/i18n/setlang/", {"language": "en"}),
    ],
)
def test_posts_without_a_csrf_token_are_refused(municipalities, path, data):
    client = Client(HTTP_HOST=IGA_HOST, enforce_csrf_checks=True)
    response = client.post(path, data)
    assert response.status_code == 403


def test_signed_in_posts_without_a_csrf_token_are_refused(resident):
    draft = make_draft(resident)
    client = signed_in(resident, enforce_csrf_checks=True)
    for path in (
        f"/my/applications/{draft.public_id}/review/",
        f"/my/applications/{draft.public_id}/discard/",
        "/accounts/logout/",
    ):
        assert client.post(path, {"declaration": "on"}).status_code == 403, path
    draft.refresh_from_db()
    assert draft.status == "draft"


def test_api_session_writes_need_the_csrf_token(resident):
    client = signed_in(resident, enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/applications",
        {"procedure": "child-allowance-certification"},
        content_type="application/json",
    )
    assert response.status_code == 401
