"""Residents take part: a theme read signed out on a phone in ja, ja-easy and en; a resident signs
in with the demo My Number Card, is shown similar proposals before sending hers, proposes; another
card holder supports it (once); 市民生活課's head answers it officially after a second look; the
answer shows on the proposal's public page. Participatory budgeting: a card holder casts a ballot
(over the budget first: the amount over is named; then a second look with the total and what
remains), changes it; the published count of another theme. axe on every page on the way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from e2e_support import assert_accessible, click_and_wait, staff_sign_in

pytestmark = pytest.mark.e2e

CARD_BUTTON = re.compile("マイナンバーカードでログイン|Sign in with My Number Card")
THEME = "/participation/ueno-akiya/"
TITLE = "上野の空き家を子育て世帯のお試し住宅として貸す"
CLERK = "shimin-seikatsu-admin@staff.iga.example.jp"


def _card_sign_in(page: Any, holder: str) -> None:
    page.goto("/accounts/login/")
    click_and_wait(page, page.get_by_role("button", name=CARD_BUTTON))
    assert "/demo-idp/authorize/" in page.url, page.url
    page.check(f"#holder-{holder}")
    page.fill("#pin", "4321")
    click_and_wait(page, page.locator("button[value=sign_in]"))
    assert page.locator("form[action$='/accounts/logout/']").count() == 1


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_a_theme_read_signed_out_on_a_phone(new_context: Any, server: Any, language: str) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto("/participation/")
    assert page.locator("main .card").count() == 4
    assert_accessible(page, f"participation-{language}-01-themes")
    click_and_wait(page, page.locator(f"main a[href='{THEME}']"))
    assert page.locator("main .pt-proposal").count() >= 10
    assert_accessible(page, f"participation-{language}-02-theme")
    click_and_wait(page, page.locator("main .pt-proposal a").first)
    assert page.locator("#support").count() == 1
    assert_accessible(page, f"participation-{language}-03-proposal")
    # The theme in its results: each proposal with the city's answer; a hidden comment keeps its place.
    page.goto("/participation/machinaka-bench/1/")
    assert page.locator("#answer").count() == 1
    assert_accessible(page, f"participation-{language}-04-answered")
    page.goto(f"{THEME}5/")
    assert page.locator(".pt-hidden").count() == 1
    assert_accessible(page, f"participation-{language}-05-hidden-comment")


def test_propose_support_and_answer(new_context: Any, server: Any) -> None:
    # ---- a resident proposes: the typed text stays after a refusal; similar titles first ---------
    author = new_context(width=390, height=844).new_page()
    _card_sign_in(author, "iga-hanako")
    author.goto(f"{THEME}new/")
    assert_accessible(author, "participation-10-new")
    author.fill("#proposal-title", TITLE)
    click_and_wait(author, author.locator("main form button[type=submit]"))
    assert author.locator("#error-summary").count() == 1
    assert author.locator("#proposal-title").input_value() == TITLE
    assert_accessible(author, "participation-11-new-error")
    author.fill(
        "#proposal-body", "<b>駅に近い空き家</b>を市が借り上げ、子育て世帯に3か月お試しで貸してください。"
    )
    click_and_wait(author, author.locator("main form button[type=submit]"))
    assert author.locator("#similar").count() == 1, "similar proposals are shown before sending"
    assert author.locator("#proposal-body").input_value().startswith("<b>駅に近い空き家</b>")
    assert_accessible(author, "participation-12-similar")
    click_and_wait(author, author.locator("main form button[type=submit]"))
    assert re.search(r"/participation/ueno-akiya/\d+/$", author.url), author.url
    proposal_url = author.url.split(server.base_url, 1)[1]
    assert "<b>駅に近い空き家</b>" in author.locator(".pt-body").inner_text()  # shown as text
    assert_accessible(author, "participation-13-proposed")

    # ---- another card holder supports it; a second click in another tab counts once -----------
    supporter_context = new_context(width=390, height=844)
    supporter = supporter_context.new_page()
    _card_sign_in(supporter, "iga-taro")
    supporter.goto(proposal_url)
    second_tab = supporter_context.new_page()
    second_tab.goto(proposal_url)
    click_and_wait(supporter, supporter.locator("#support button[value=support]"))
    assert re.search("賛同 1件|1 support", supporter.locator("#support-title").inner_text())
    assert_accessible(supporter, "participation-20-supported")
    click_and_wait(second_tab, second_tab.locator("#support button[value=support]"))
    assert re.search("1回だけ|counts once", second_tab.locator(".messages").inner_text())
    assert re.search("賛同 1件|1 support", second_tab.locator("#support-title").inner_text())

    # ---- 市民生活課's head answers it officially, after a second look --------------------------
    clerk = new_context(width=1280, height=800).new_page()
    staff_sign_in(clerk, CLERK)
    clerk.goto("/staff/participation/")
    assert_accessible(clerk, "participation-30-staff-home")
    click_and_wait(clerk, clerk.get_by_role("link", name="上野地区の空き家活用"))
    assert_accessible(clerk, "participation-31-staff-theme")
    click_and_wait(clerk, clerk.get_by_role("link", name=TITLE))
    assert_accessible(clerk, "participation-32-staff-proposal")
    clerk.check("#answer-status-adopted")
    clerk.fill("#answer-reason", "令和9年度から、上野地区の空き家2戸をお試し住宅として貸し出します。")
    click_and_wait(clerk, clerk.locator("main form button", has_text="公開前に確認する"))
    assert clerk.url.endswith("/answer/"), clerk.url
    assert_accessible(clerk, "participation-33-staff-confirm")
    public = new_context(width=390, height=844).new_page()
    public.goto(proposal_url)
    assert public.locator("#answer").count() == 0, "a draft is not public"
    click_and_wait(clerk, clerk.locator("main form button", has_text="回答を公開する"))
    assert_accessible(clerk, "participation-34-staff-published")

    # ---- the answer on the proposal's public page ----------------------------------------------
    public.goto(proposal_url)
    answer = public.locator("#answer").inner_text()
    assert "採用" in answer and "お試し住宅" in answer
    assert_accessible(public, "participation-40-answer-public")


BUDGET_THEME = "/participation/chiiki-yosan/"


@pytest.mark.parametrize("language", ["ja", "ja-easy", "en"])
def test_the_budget_vote_and_its_results_read_on_a_phone(
    new_context: Any, server: Any, language: str
) -> None:
    page = new_context(width=390, height=844, language=language).new_page()
    page.goto(BUDGET_THEME)
    assert page.locator("#budget a[href$='/budget/']").count() == 1
    click_and_wait(page, page.locator("#budget a[href$='/budget/']"))
    assert page.locator("#ballot-options input[type=checkbox]").count() == 6
    assert page.locator("#ballot-options .pt-cost").first.inner_text().strip() != ""
    assert_accessible(page, f"participation-{language}-50-ballot")
    page.goto("/participation/asobiba-yosan/budget/results/")
    assert page.locator(".pt-result").count() == 5
    assert page.locator(".pt-digest").inner_text().strip().isalnum()
    assert_accessible(page, f"participation-{language}-51-budget-results")


def test_a_resident_casts_and_changes_a_budget_ballot(new_context: Any, server: Any) -> None:
    page = new_context(width=390, height=844).new_page()
    _card_sign_in(page, "iga-taro")
    page.goto(f"{BUDGET_THEME}budget/")
    assert page.locator("#my-ballot").count() == 0
    # 4,500,000 + 2,600,000 + 1,800,000 + 1,500,000 = 10,400,000 yen: over the budget by 400,000.
    for number in (1, 2, 4, 5):
        page.check(f"#p-{number}")
    # With JavaScript the total shows while choosing (without it, after sending).
    assert "400,000円" in page.locator("#ballot-live").inner_text()
    click_and_wait(page, page.locator("#ballot-form button[type=submit]"))
    assert "400,000円" in page.locator("#error-summary").inner_text()
    assert page.locator("#ballot-options input:checked").count() == 4, "the choices are kept"
    assert "10,400,000円" in page.locator("#ballot-options .pt-running").inner_text()
    assert_accessible(page, "participation-52-ballot-over-budget")
    page.uncheck("#p-2")
    click_and_wait(page, page.locator("#ballot-form button[type=submit]"))
    assert page.locator("#ballot-total").inner_text().strip() == "5,900,000円"
    assert page.locator("#ballot-left").inner_text().strip() == "4,100,000円"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390, "nothing wider than the phone"
    assert_accessible(page, "participation-53-ballot-confirm")
    click_and_wait(page, page.locator("main form button[type=submit]").first)
    assert "投票を受け付けました" in page.locator(".messages").inner_text()
    assert page.locator("#my-ballot").count() == 1
    assert page.locator("#ballot-options input:checked").count() == 3
    assert_accessible(page, "participation-54-ballot-cast")
    # Changed while voting is open: one ballot, the new choices.
    page.uncheck("#p-5")
    page.check("#p-6")
    click_and_wait(page, page.locator("#ballot-form button[type=submit]"))
    click_and_wait(page, page.locator("main form button[type=submit]").first)
    assert page.locator("#ballot-options input:checked").count() == 3
    assert page.locator("#p-6").is_checked() and not page.locator("#p-5").is_checked()


def test_staff_see_a_budget_count_and_recount_it(new_context: Any, server: Any) -> None:
    clerk = new_context(width=1280, height=800).new_page()
    staff_sign_in(clerk, CLERK)
    clerk.goto("/staff/participation/")
    click_and_wait(clerk, clerk.get_by_role("link", name="子どもの遊び場づくり予算"))
    click_and_wait(clerk, clerk.locator("main a[href$='/budget/']"))
    assert clerk.locator("main table tbody tr").count() == 5
    assert_accessible(clerk, "participation-55-staff-budget")
    click_and_wait(clerk, clerk.locator("main button[value=recount]"))
    assert "一致しました" in clerk.locator("#recount").inner_text()
    assert_accessible(clerk, "participation-56-staff-recount")
