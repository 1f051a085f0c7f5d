"""axe-core on every back-office page a person can reach, found by following the links.

Three people walk the back office at a 1280×800 desk: the city administrator, the crisis
management supervisor and a こども家庭課 clerk. Each follows every link under /staff/ it is
shown (one page per route and query shape), and each page must pass axe with the page in
Japanese. A back-office page that nobody reaches by a link, and that no other browser test
checks, makes the last test fail: a new page is either linked or named below with the test
that covers it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from e2e_support import assert_accessible, staff_reauthenticate, staff_sign_in

pytestmark = pytest.mark.e2e

PEOPLE = (
    "admin@staff.iga.example.jp",
    "kiki-kanri-supervisor@staff.iga.example.jp",
    "kodomo-katei@staff.iga.example.jp",
)

# Routes that are not pages to check here, and why.
NOT_PAGES = {
    "logout": "signs out",
    "login": "checked signed out in test_accessibility_pages",
    "mfa_verify": "checked in test_staff_second_factor",
    "mfa_enrol": "checked in test_staff_second_factor",
    "reauth": "checked on the way to exports here",
    "passkey_options": "JSON for the browser's passkey prompt",
    "passkey_verify": "JSON for the browser's passkey prompt",
    "case_attachment": "a file, not a page",
    "faq_export": "a CSV file",
    "insights_csv": "a CSV file (a dashboard table)",
    "insights_kpi_csv": "a CSV file (a KPI's series)",
    "procedure_builder_action": "the builder overview's buttons post here; it answers with a redirect",
    "procedure_builder_easyja": "JSON for the builder's live やさしい日本語 check",
    "public_comment_document": "a PDF file of the draft",
    "public_comment_csv": "a CSV file (the opinions received)",
    "survey_csv": "a CSV file (a survey's answers)",
    "survey_builder_action": "the survey builder's buttons post here; it answers with a redirect",
    "survey_builder_easyja": "JSON for the survey builder's live やさしい日本語 check",
    "import_run_confirm": "the import's button posts here; it answers with a redirect to the run",
    "case_checks_run": "the case page's button posts here; it answers with a redirect to the case",
    "intake_page_image": "an image (a scanned page)",
    "intake_item_image": "an image (one item's cut of a scanned page)",
    "handover_manifest": "a JSON file (a hand-over run's manifest)",
}

# Pages reached only by submitting a form; the named browser test checks them with axe.
REACHED_BY_FORMS = {
    "alert_confirm": "test_alert_second_look",
    "alert_update": "test_disaster_alert",
    "alert_cancel": "test_alert_second_look",
    "case_decide": "test_case_review",
    "checks_approve": "test_checks (the second look before cases are approved in bulk)",
    "handover_target": "test_handover (a hand-over target's settings and run history)",
    "handover_run": "test_handover (the second look before a hand-over run)",
    "inquiry_detail": "test_assistant",
    "payment_detail": "test_payment_journey",
    "case_correction": "test_case_correction",
    "queue_filter_delete": "test_case_correction",
    "opendata_review": "test_open_data (a dataset waiting for review)",
    "dxplan_note": "test_dx_plan (a draft note, reached by saving it)",
    "dxplan_note_publish": "test_dx_plan (the second look before a note is published)",
    "procedure_withdraw": "test_procedure_versions",
    "template_reset": "test_exports_and_templates (linked once a city has its own wording)",
    "intake_form": "test_paper_intake_journey (the verification screen of a read paper form)",
    "counter_step": "test_counter_assisted",
    "counter_review": "test_counter_assisted",
    "counter_payment": "test_payment_journey",
    "settlement_resolve": "test_payment_journey",
    "events_list": "test_events",
    "events_managed": "test_events (the city admin's list)",
    "event_participants": "test_events",
    "event_check_in": "test_events",
    "event_new": "test_events",
    "event_cancel": "test_events (the second look before an event is cancelled)",
    "event_edit": "test_events (an event changed by its department, and the second look before registrants are told)",
    "participation_proposal": "test_participation (a proposal answered by its department)",
    "participation_answer_confirm": "test_participation (the second look before an answer is published)",
    "participation_budget": "test_participation (a budget vote's count and its recount)",
    "participation_process_publish": "test_participation_processes (the second look before a theme is published)",
    "participation_phase_remove": "test_participation_processes (the confirmation before a phase is removed)",
    "public_comment_result": "test_public_comment (the result written per section)",
    "public_comment_result_publish": "test_public_comment (the second look before the result is published)",
    "survey_confirm": "test_surveys (the second look before a survey is closed)",
    # A draft survey (the demo's take answers or are published) is made in test_surveys.
    "survey_edit": "test_surveys (a draft's title and settings)",
    "survey_builder": "test_surveys (a draft's questions in the builder)",
    "survey_builder_add": "test_surveys (a question added to a draft survey)",
    "survey_builder_item": "test_surveys (a question shown only after an answer)",
    "survey_builder_preview": "test_surveys (a draft survey on a phone)",
    "survey_builder_step_add": "test_surveys (a draft survey's builder, as for a procedure)",
    "survey_builder_step": "test_surveys (a draft survey's builder, as for a procedure)",
    "survey_builder_step_delete": "test_surveys (a draft survey's builder, as for a procedure)",
    "survey_builder_move": "test_surveys (a draft survey's builder, as for a procedure)",
    "survey_builder_delete": "test_surveys (a draft survey's builder, as for a procedure)",
    "import_source": "test_bulk_import_journey (a source made by the journey; its upload form)",
    "import_source_mapping": "test_bulk_import_journey (the mapping of the source it made)",
    "import_run": "test_bulk_import_journey (a checked file's problems, the second look, the result)",
}

# Pages the demo's data gives no way to: not checked in a browser yet (server-side tests cover them).
NOT_IN_THE_DEMO = {
    "intake_batch": "a batch of uploaded scans (tests/intake/test_pages.py reads one back)",
    "case_my_number": "a case with a sealed 個人番号 and a fresh second factor",
    "settlement_detail": "a settlement file imported from the payment service",
    "public_comment_publish": "a draft case (the demo's cases are published; tests/public_comment/test_pages.py)",
    "participation_results": "the second look before a theme's results are published (tests/participation)",
    "participation_budget_publish": "the second look before a budget count is published (tests/participation)",
    # The demo sets up no hand-over target; tests/handover/test_pages_and_api.py posts this form.
    "handover_edit": "a hand-over target's form (the same form as handover_new, which the walk checks)",
}

SKIPPED_PATH_PARTS = ("/logout/", "/files/", "/passkey/", ".csv")

VISITED: dict[str, str] = {}


def _route_name(path: str) -> str | None:
    from django.urls import Resolver404, resolve

    try:
        match = resolve(urlsplit(path).path)
    except Resolver404:
        return None
    return match.url_name if match.namespace == "backoffice" else None


def _shape(path: str) -> str:
    """One page per route and set of query keys (the queue filtered is worth a look of its own)."""
    parts = urlsplit(path)
    keys = sorted({pair.split("=", 1)[0] for pair in parts.query.split("&") if pair})
    return f"{_route_name(path)}?{'&'.join(keys)}"


def _staff_links(page: Any) -> Iterator[str]:
    hrefs = page.eval_on_selector_all("a[href]", "links => links.map(link => link.getAttribute('href'))")
    for href in hrefs:
        absolute = urljoin(page.url, href)
        parts = urlsplit(absolute)
        if parts.netloc != urlsplit(page.url).netloc or not parts.path.startswith("/staff/"):
            continue
        if any(part in parts.path for part in SKIPPED_PATH_PARTS):
            continue
        yield parts.path + (f"?{parts.query}" if parts.query else "")


@pytest.mark.parametrize("email_address", PEOPLE)
def test_every_linked_staff_page_passes_axe(new_context: Any, email_address: str) -> None:
    context = new_context(width=1280, height=800)
    page = context.new_page()
    staff_sign_in(page, email_address)
    who = email_address.split("@", 1)[0]
    queue = ["/staff/"]
    if who == "admin":
        # The walk opens one dataset page; which one depends on what earlier tests added (a draft
        # shows no withdrawal link), so the withdrawal page of a published demo dataset is named.
        queue.append("/staff/opendata/evacuation-sites/withdraw/")
    seen_shapes: set[str] = set()
    checked = 0
    while queue and checked < 160:
        path = queue.pop(0)
        shape = _shape(path)
        if shape in seen_shapes or _route_name(path) in NOT_PAGES:
            continue
        seen_shapes.add(shape)
        response = page.goto(path)
        if "/staff/reauth/" in page.url:
            staff_reauthenticate(page, email_address)
        else:
            assert response is not None and response.status == 200, f"{path}: {response and response.status}"
        assert page.locator("html").get_attribute("lang") == "ja", path
        name = _route_name(path) or path
        assert_accessible(page, f"staff-axe-{who}-{shape.replace('?', '-').replace('&', '-')}")
        VISITED.setdefault(name, path)
        checked += 1
        queue.extend(_staff_links(page))
    assert checked >= 5, f"{who} reached only {checked} pages"


def _post_only(view: Any) -> bool:
    """True for a view behind ``require_POST`` (an action, not a page)."""
    while view is not None:
        for cell in getattr(view, "__closure__", None) or ():
            try:
                if cell.cell_contents == ["POST"]:
                    return True
            except ValueError:  # an empty cell
                continue
        view = getattr(view, "__wrapped__", None)
    return False


def test_no_back_office_page_goes_unchecked() -> None:
    from idx.backoffice.urls import urlpatterns

    if not VISITED:
        pytest.skip("the walk above did not run")
    names = {pattern.name for pattern in urlpatterns if pattern.name and not _post_only(pattern.callback)}
    unchecked = sorted(names - set(VISITED) - set(NOT_PAGES) - set(REACHED_BY_FORMS) - set(NOT_IN_THE_DEMO))
    assert not unchecked, (
        "back-office pages that no link reaches and no browser test checks: "
        + ", ".join(unchecked)
        + " (link them, or name the test that checks them in REACHED_BY_FORMS)"
    )
