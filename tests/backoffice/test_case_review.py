"""The case page made for review: a second look before a decision, what each action did, the
history and audit trail in words, and the answers grouped by step."""

from __future__ import annotations

import re

import pytest
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from idx.applications import services
from idx.applications.models import Application, Status
from tests.conftest import make_in_review, signed_in


def msg(msgid: str, **params: object) -> str:
    with translation.override("ja"):
        text = gettext(msgid)
    return escape(text % params if params else text)


@pytest.fixture
def reviewed(resident, clerk):
    return make_in_review(resident, clerk)


def decide_url(application) -> str:
    return f"/staff/cases/{application.public_id}/decide/"


# ---- a second look before approving or rejecting --------------------------------------------


def test_case_page_links_to_the_confirmation_instead_of_deciding(reviewed, clerk_client):
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    assert f'href="{decide_url(reviewed)}?decision=approve"' in page
    assert f'href="{decide_url(reviewed)}?decision=reject"' in page
    assert f'action="{decide_url(reviewed)}"' not in page


def test_approve_confirmation_says_what_happens_and_to_whom(reviewed, clerk_client, resident):
    resident.preferred_language = "vi"
    resident.save(update_fields=["preferred_language"])
    response = clerk_client.get(decide_url(reviewed), {"decision": "approve"})
    assert response.status_code == 200
    page = response.content.decode()
    assert msg("Approve this application?") in page
    assert reviewed.receipt_number in page
    assert "panel-info" in page
    assert 'name="confirmed" value="yes"' in page
    assert msg("Note to the applicant (optional)") in page
    assert "Tiếng Việt" in page
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


def test_reject_confirmation_is_a_warning_and_asks_for_a_reason(reviewed, clerk_client):
    page = clerk_client.get(decide_url(reviewed), {"decision": "reject"}).content.decode()
    assert msg("Reject this application?") in page
    assert "panel-warning" in page
    assert "button-warning" in page
    assert msg("Reason for the rejection (required)") in page


def test_post_without_the_confirmation_decides_nothing(reviewed, clerk_client):
    response = clerk_client.post(
        decide_url(reviewed), {"decision": "approve", "reason": "", "row_version": reviewed.row_version}
    )
    assert response.status_code == 200
    assert msg("Approve this application?") in response.content.decode()
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


def test_approve_through_the_confirmation_says_approved(reviewed, clerk_client):
    clerk_client.get(decide_url(reviewed), {"decision": "approve"})
    response = clerk_client.post(
        decide_url(reviewed),
        {"decision": "approve", "confirmed": "yes", "reason": "", "row_version": reviewed.row_version},
        follow=True,
    )
    page = response.content.decode()
    assert msg("Approved.") in page
    assert msg("Saved.") not in page
    assert Application.objects.get(pk=reviewed.pk).status == Status.APPROVED


def test_reject_without_a_reason_stays_on_the_confirmation(reviewed, clerk_client):
    response = clerk_client.post(
        decide_url(reviewed),
        {"decision": "reject", "confirmed": "yes", "reason": "  ", "row_version": reviewed.row_version},
    )
    assert response.status_code == 422
    page = response.content.decode()
    assert msg("Enter the reason for the rejection.") in page
    assert 'aria-invalid="true"' in page
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


def test_reject_with_a_reason_says_rejected(reviewed, clerk_client):
    response = clerk_client.post(
        decide_url(reviewed),
        {
            "decision": "reject",
            "confirmed": "yes",
            "reason": "市外に転出済みのため",
            "row_version": reviewed.row_version,
        },
        follow=True,
    )
    assert msg("Rejected.") in response.content.decode()
    fresh = Application.objects.get(pk=reviewed.pk)
    assert (fresh.status, fresh.decision_reason) == (Status.REJECTED, "市外に転出済みのため")


def test_confirmation_is_not_offered_before_review(submitted_application, clerk_client):
    response = clerk_client.get(decide_url(submitted_application), {"decision": "approve"}, follow=True)
    assert msg("That action is not possible in the case's current state.") in response.content.decode()


def test_city_admin_gets_no_confirmation_and_cannot_decide(reviewed, city_admin_client):
    response = city_admin_client.get(decide_url(reviewed), {"decision": "approve"}, follow=True)
    assert msg("That action is not possible in the case's current state.") in response.content.decode()
    city_admin_client.post(
        decide_url(reviewed),
        {"decision": "approve", "confirmed": "yes", "row_version": reviewed.row_version},
    )
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


def test_clerk_of_another_department_gets_404(reviewed, clerk_other_department):
    client = signed_in(clerk_other_department)
    assert client.get(decide_url(reviewed), {"decision": "approve"}).status_code == 404
    response = client.post(
        decide_url(reviewed),
        {"decision": "approve", "confirmed": "yes", "row_version": reviewed.row_version},
    )
    assert response.status_code == 404
    assert Application.objects.get(pk=reviewed.pk).status == Status.IN_REVIEW


# ---- each action says what it did -------------------------------------------------------------


def test_actions_say_what_they_did(submitted_application, clerk_client):
    url = f"/staff/cases/{submitted_application.public_id}"
    version = submitted_application.row_version
    response = clerk_client.post(f"{url}/assign-self/", {"row_version": version}, follow=True)
    assert msg("You are now the assignee of this case.") in response.content.decode()
    response = clerk_client.post(f"{url}/start-review/", {"row_version": version + 1}, follow=True)
    assert msg("Review started.") in response.content.decode()
    response = clerk_client.post(
        f"{url}/request-correction/",
        {"row_version": version + 2, "flag": ["claimant.phone"], "note:claimant.phone": "番号を確認"},
        follow=True,
    )
    assert msg("Sent back to the applicant for correction.") in response.content.decode()
    response = clerk_client.post(f"{url}/comment/", {"body": "確認済み"}, follow=True)
    page = response.content.decode()
    assert msg("Comment added.") in page
    assert "コメントを残しました。" in page  # the action in words, as the desk says it
    assert msg("Saved.") not in page
    assert Application.objects.get(pk=submitted_application.pk).status == Status.CORRECTION_REQUESTED


def test_service_rules_stay_in_the_service(reviewed, clerk):
    """The page only asks; the service still refuses a rejection without a reason."""
    with pytest.raises(services.AnswersInvalid):
        services.case_decide(
            application=reviewed,
            staff=clerk,
            approve=False,
            reason=" ",
            expected_version=reviewed.row_version,
        )


# ---- history and audit trail in words ---------------------------------------------------------


def pmsg(context: str, msgid: str) -> str:
    with translation.override("ja"):
        return escape(translation.pgettext(context, msgid))


def test_history_and_audit_read_as_words_with_long_dates(reviewed, clerk_client):
    clerk_client.post(
        decide_url(reviewed),
        {"decision": "reject", "confirmed": "yes", "reason": "要件外", "row_version": reviewed.row_version},
    )
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    history = page[page.index('class="history"') : page.index("</ol>", page.index('class="history"'))]
    for word in ("Received", "Review started", "Rejected"):
        assert pmsg("case history", word) in history, word
    assert "要件外" in history
    assert "受付" in history and "却下" in history
    audit = page[page.index('class="audit"') :]
    assert "申請を受け付けました" in audit
    assert "審査を開始しました" in audit
    assert "案件を閲覧しました" in audit
    for code in ("application.submit", "application.reject", "personal_data.view"):
        assert code not in page, code
    visible = re.sub(r'datetime="[^"]*"', "", page)
    assert not re.search(r"\b20\d{2}-\d{2}-\d{2}", visible)
    assert re.search(r"\d{4}年\d{1,2}月\d{1,2}日（.）\d{1,2}:\d{2}", audit)


# ---- answers grouped by step, as residents see them -----------------------------------------


def test_answers_grouped_by_step_in_two_columns(submitted_application, clerk_client):
    from idx.applications.presentation import answer_rows

    assert len(submitted_application.answers["children"]) == 2
    page = clerk_client.get(f"/staff/cases/{submitted_application.public_id}/").content.decode()
    rows = answer_rows(submitted_application)
    titles = [row.step_title for row in rows if row.step_title]
    assert len(titles) > 1
    sections = page.split('<section class="answer-step"')[1:]
    assert len(sections) == len(titles)
    for title, section in zip(titles, sections, strict=True):
        assert escape(title) in section.split("</h3>")[0], title
    children = next(section for section in sections if "伊賀 さくら" in section)
    assert "1. " in children and "2. " in children
    answers = page[page.index('<section class="answer-step"') : page.rindex("</section>")]
    assert ">True<" not in answers and ">False<" not in answers
    # Picking items for a correction happens in correction mode, not under every answer.
    assert 'name="flag"' not in answers
    assert 'id="answer-children[1].birth_date"' in answers
    assert f'href="/staff/cases/{submitted_application.public_id}/correction/"' in page


def test_attachments_name_the_question_they_answer(resident, clerk_client):
    from idx.applications.presentation import answer_rows
    from tests.applications.test_attachments import png
    from tests.conftest import make_draft, submit

    application = make_draft(resident)
    services.attachment_add(
        application=application, actor=resident, field_path="bank_document", name="通帳.png", data=png()
    )
    application = submit(
        application=Application.objects.get(pk=application.pk), actor=resident, declaration_accepted=True
    )
    label = next(row.label for row in answer_rows(application) if row.path == "bank_document")
    page = clerk_client.get(f"/staff/cases/{application.public_id}/").content.decode()
    listing = page[page.index('class="case-attachments"') :]
    assert f"<strong>{escape(label)}</strong>" in listing.split("通帳.png")[0]


def test_a_decided_case_shows_no_empty_actions_section(reviewed, clerk_client):
    clerk_client.post(
        decide_url(reviewed),
        {"decision": "approve", "confirmed": "yes", "row_version": reviewed.row_version},
    )
    page = clerk_client.get(f"/staff/cases/{reviewed.public_id}/").content.decode()
    assert 'id="actions-title"' not in page


# ---- the next case -----------------------------------------------------------------------------


def test_next_case_link_with_an_access_key(resident, clerk_client):
    from tests.conftest import make_submitted

    first, second = make_submitted(resident), make_submitted(resident)
    pages = {
        case.public_id: clerk_client.get(f"/staff/cases/{case.public_id}/").content.decode()
        for case in (first, second)
    }
    links = [re.search(r'href="/staff/cases/([0-9a-f-]+)/" accesskey="n"', page) for page in pages.values()]
    targets = {match.group(1) for match in links if match}
    assert targets & {str(first.public_id), str(second.public_id)}
    assert msg("(access key N)") in "".join(pages.values())
