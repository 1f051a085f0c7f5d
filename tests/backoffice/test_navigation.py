"""The back-office menu follows the permission matrix: a link is shown iff its page opens.

Every menu entry is opened by every demo staff role (and by the roles the demo has no account
for, made here): the link must be in the menu exactly when the page answers 200, never a link to
a "not found" page and never a page the menu hides from someone who may use it.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from idx.backoffice.navigation import ENTRIES, entries_for, may_open
from idx.identity.models import Department, Role, User
from tests.conftest import clerk_department, reauthenticated, signed_in
from tests.factories import StaffFactory


class MenuLinks(HTMLParser):
    """The hrefs of the links in the page's main navigation."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "nav" and (self.depth or "site-nav" in (values.get("class") or "")):
            self.depth += 1
        elif tag == "a" and self.depth and values.get("href"):
            self.links.append(values["href"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "nav" and self.depth:
            self.depth -= 1


def menu_links(page: str) -> list[str]:
    parser = MenuLinks()
    parser.feed(page)
    parser.close()
    return parser.links


def staff_of_every_role(iga) -> dict[str, User]:
    """The demo's staff accounts, plus one of each role the demo does not create."""
    demo = {
        "clerk": "kodomo-katei@staff.iga.example.jp",
        "clerk (crisis management)": "kiki-kanri@staff.iga.example.jp",
        "supervisor": "supervisor@staff.iga.example.jp",
        "supervisor (crisis management)": "kiki-kanri-supervisor@staff.iga.example.jp",
        "city administrator": "admin@staff.iga.example.jp",
    }
    people = {name: User.objects.get(municipality=iga, email=email) for name, email in demo.items()}
    department = clerk_department(iga)
    people["department administrator"] = StaffFactory(
        municipality=iga, department=department, role=Role.DEPARTMENT_ADMIN
    )
    people["auditor"] = StaffFactory(municipality=iga, department=None, role=Role.AUDITOR)
    people["operator"] = StaffFactory(municipality=iga, department=None, role=Role.OPERATOR)
    crisis = Department.objects.get(municipality=iga, code="kiki-kanri")
    people["department administrator (crisis management)"] = StaffFactory(
        municipality=iga, department=crisis, role=Role.DEPARTMENT_ADMIN
    )
    return people


@pytest.mark.django_db
def test_a_menu_link_is_shown_exactly_when_its_page_opens(iga) -> None:
    problems: list[str] = []
    for name, user in staff_of_every_role(iga).items():
        # Re-authenticated, as pages behind a second password prompt (exports, audit) ask.
        client = reauthenticated(signed_in(user))
        home = client.get("/staff/")
        assert home.status_code == 200, (name, home.status_code)
        shown = menu_links(home.content.decode())
        menu = [entry.url for entry in entries_for(user)]
        assert [link for link in shown if link in {entry.url for entry in ENTRIES}] == menu, name
        groups_shown: set[str] = set()
        for entry in ENTRIES:
            status = client.get(entry.url).status_code
            opens = status == 200
            if opens != may_open(user, entry):
                problems.append(f"{name}: {entry.url} answers {status}, may open: {may_open(user, entry)}")
            in_menu = entry.url in shown
            hidden_by_group = bool(entry.group) and entry.group in groups_shown
            if in_menu != (opens and not hidden_by_group):
                problems.append(f"{name}: {entry.url} answers {status}, in the menu: {in_menu}")
            if in_menu and entry.group:
                groups_shown.add(entry.group)
            if status not in (200, 404):
                problems.append(f"{name}: {entry.url} answers {status}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_a_clerk_sees_no_link_to_exports_or_procedures(iga) -> None:
    clerk = User.objects.get(municipality=iga, email="kodomo-katei@staff.iga.example.jp")
    links = menu_links(signed_in(clerk).get("/staff/").content.decode())
    assert "/staff/exports/" not in links
    assert "/staff/procedures/" not in links
    assert "/staff/" in links and "/staff/inquiries/" in links


def test_every_entry_names_a_page_of_the_back_office() -> None:
    urls = [entry.url for entry in ENTRIES]
    assert len(set(urls)) == len(urls)
    assert all(url.startswith("/staff/") for url in urls)


@pytest.mark.django_db
def test_the_counter_follows_the_matrix(iga) -> None:
    """窓口: clerks, supervisors and department administrators of a department serve it; city
    administrators, auditors, operators and staff without a department get "not found", for the
    start page and for every page of a draft, and see no link to it."""
    from tests.conftest import make_draft

    people = staff_of_every_role(iga)
    people["clerk without a department"] = StaffFactory(municipality=iga, department=None, role=Role.CLERK)
    clerk = people["clerk"]
    served = {"clerk", "supervisor", "department administrator", "clerk (crisis management)"}
    for name, user in people.items():
        client = signed_in(user)
        status = client.get("/staff/counter/").status_code
        links = menu_links(client.get("/staff/").content.decode())
        if name in served:
            assert status == 200, name
            assert "/staff/counter/" in links, name
        elif name in {"city administrator", "auditor", "operator", "clerk without a department"}:
            assert status == 404, name
            assert "/staff/counter/" not in links, name
    # a draft the clerk started at the counter: its pages answer the clerk only
    resident = User.objects.get(municipality=iga, email="resident1@iga.example.jp")
    draft = make_draft(resident)
    draft.assisted_by = clerk
    draft.save(update_fields=["assisted_by"])
    step = draft.procedure_version.parsed.steps[0].id
    admin = signed_in(people["city administrator"])
    assert signed_in(clerk).get(f"/staff/counter/{draft.public_id}/review/").status_code == 200
    assert admin.get(f"/staff/counter/{draft.public_id}/review/").status_code == 404
    assert admin.get(f"/staff/counter/{draft.public_id}/steps/{step}/").status_code == 404
    assert admin.post(f"/staff/counter/{draft.public_id}/show/").status_code == 404
    assert admin.post("/staff/counter/", {"procedure": "child-allowance-certification"}).status_code == 404


@pytest.mark.django_db
def test_the_general_inquiry_desk_is_linked_only_for_those_who_may_set_it(iga, clerk, city_admin):
    """A clerk answering inquiries sees no link to a page that would answer 404; the city's FAQ editor does."""
    assert "/staff/inquiries/desk/" not in signed_in(clerk).get("/staff/inquiries/").content.decode()
    assert signed_in(clerk).get("/staff/inquiries/desk/").status_code == 404
    assert "/staff/inquiries/desk/" in signed_in(city_admin).get("/staff/faqs/").content.decode()
    assert signed_in(city_admin).get("/staff/inquiries/desk/").status_code == 200
