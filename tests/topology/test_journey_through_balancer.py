"""The child allowance (児童手当) journey through the load balancer of the reference topology.

A resident on a phone (390×844) applies at the portal frontend with an attachment; the file goes to
the object storage (the S3 server), not to any node's disk; its download passes the permission check
and is a redirect to a short-lived signed address; a clerk (1280×800) signs in with the second factor
at the back-office frontend and finds the case. The requests were spread over both portal nodes,
and the portal frontend has no staff pages while the back-office frontend has.
"""

from __future__ import annotations

import copy
import re
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml
from e2e_support import (
    DEMO_PASSWORD,
    RECEIPT_PATTERN,
    assert_no_form_errors,
    click_and_wait,
    fill_answers,
    staff_sign_in,
)

pytestmark = pytest.mark.topology

REPO = Path(__file__).resolve().parents[2]
DEFINITION = REPO / "src" / "idx" / "procedures" / "definitions" / "child-allowance-certification.yaml"
PROCEDURE_NAME = "児童手当等の受給資格及び児童手当の額についての認定請求"
CLERK_EMAIL = "kodomo-katei@staff.iga.example.jp"
RESIDENT_EMAIL = "resident1@iga.example.jp"
OTHER_RESIDENT_EMAIL = "resident2@iga.example.jp"
ATTACHMENT_NAME = "nenkin-kakunin.pdf"
ATTACHMENT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _served_by_portal_nodes(topology: Any) -> dict[str, int]:
    """Requests each portal node has answered, from HAProxy's statistics (health checks not counted)."""
    return {
        row["svname"]: int(row["stot"] or 0)
        for row in topology.stats()
        if row["pxname"] == "portal" and row["svname"].startswith("portal-")
    }


def _bucket_keys(topology: Any) -> set[str]:
    client = topology.s3_client()
    keys: set[str] = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=topology.bucket):
        keys.update(item["Key"] for item in page.get("Contents", []))
    return keys


def _resident_sign_in(page: Any, email_address: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_email", email_address)
    page.fill("#id_password", DEMO_PASSWORD)
    click_and_wait(page, page.locator("main form button[type=submit]").last)
    assert "/accounts/login/" not in page.url, page.url


def test_child_allowance_through_the_balancer(
    topology: Any, topology_context: Any, topology_mailbox: Any
) -> None:
    began = time.monotonic()
    served_before = _served_by_portal_nodes(topology)
    keys_before = _bucket_keys(topology)
    example = copy.deepcopy(yaml.safe_load(DEFINITION.read_text(encoding="utf-8"))["example"])

    # ---- the tiers: staff pages only behind the back-office frontend --------------------------
    assert _status(f"{topology.portal_url}/staff/login/") == 404
    assert _status(f"{topology.portal_url}/staff/") == 404
    assert _status(f"{topology.backoffice_url}/staff/login/") == 200

    # ---- the resident applies on a phone, with an attachment -----------------------------------
    page = topology_context(topology.portal_url, 390, 844).new_page()
    _resident_sign_in(page, RESIDENT_EMAIL)
    page.goto("/")
    page.fill("#q", "児童手当 認定請求")
    click_and_wait(page, page.locator("form[role=search] button[type=submit]"))
    click_and_wait(page, page.get_by_role("link", name=PROCEDURE_NAME, exact=True))
    click_and_wait(page, page.locator("form[action$='/start/'] button[type=submit]"))
    step_url = re.compile(r"/my/applications/(?P<id>[^/]+)/steps/(?P<step>[^/]+)/$")
    match = step_url.search(page.url)
    assert match, page.url
    public_id = match.group("id")
    attached = False
    while match := step_url.search(page.url):
        fill_answers(page, example)
        upload = page.locator('input[type="file"][name="f.pension_document"]')
        if upload.count():
            upload.set_input_files(
                {"name": ATTACHMENT_NAME, "mimeType": "application/pdf", "buffer": ATTACHMENT}
            )
            attached = True
        click_and_wait(page, page.locator('button[name="action"][value="next"]'))
        assert_no_form_errors(page)
    assert attached, "the journey never reached the attachments step"
    assert page.url.endswith(f"/my/applications/{public_id}/review/"), page.url
    assert ATTACHMENT_NAME in page.inner_text("main")
    page.check("#declaration")
    click_and_wait(page, page.locator("main form button[data-once]"))
    assert "/demo-idp/authorize/" in page.url, page.url
    page.check("#holder-iga-taro")
    page.fill("#pin", "sign2026")
    click_and_wait(page, page.locator("button[value=sign]"))
    assert page.url.endswith("/receipt/"), page.url
    receipt_number = page.locator(".receipt-number strong").inner_text().strip()
    assert RECEIPT_PATTERN.fullmatch(receipt_number), receipt_number

    # A worker sent the confirmation through the task queue (RQ on the topology's Redis).
    topology_mailbox.wait_for(
        lambda mail: RESIDENT_EMAIL in mail.to and receipt_number in mail.body,
        timeout=60,
        what="the submission e-mail",
    )

    # ---- the file is in the object storage, and on no node's disk -------------------------------
    new_keys = _bucket_keys(topology) - keys_before
    stored = [
        key
        for key in new_keys
        if topology.s3_client().get_object(Bucket=topology.bucket, Key=key)["Body"].read() == ATTACHMENT
    ]
    assert len(stored) == 1, f"the attachment is not in the bucket once: {sorted(new_keys)}"
    on_disk = [
        path
        for path in topology.workdir.rglob("*")
        if path.is_file()
        and "pg" not in path.relative_to(topology.workdir).parts[:1]
        and path.stat().st_size == len(ATTACHMENT)
        and path.read_bytes() == ATTACHMENT
    ]
    assert on_disk == [], on_disk

    # ---- a clerk finds the case at the back-office frontend -------------------------------------
    clerk = topology_context(topology.backoffice_url, 1280, 800).new_page()
    clerk.goto("/staff/login/")
    staff_sign_in(clerk, CLERK_EMAIL)
    assert clerk.url.endswith("/staff/"), clerk.url
    clerk.fill("#q", receipt_number)
    click_and_wait(clerk, clerk.locator("form.filter-form button[type=submit]"))
    case_links = clerk.locator("table.cases tbody a")
    assert case_links.all_inner_texts() == [receipt_number]
    click_and_wait(clerk, case_links.first)
    file_link = clerk.locator("ul.case-attachments a[download]")
    assert file_link.inner_text().strip() == ATTACHMENT_NAME
    staff_href = file_link.get_attribute("href")
    assert staff_href and "/files/" in staff_href

    # ---- downloads: the permission check, then a short-lived signed address ---------------------
    def signed_redirect(response: Any) -> str:
        assert response.status in (302, 303), (response.status, response.url)
        location = response.headers["location"]
        parts = urlsplit(location)
        assert f"{parts.scheme}://{parts.netloc}" == topology.s3_endpoint, location
        query = parse_qs(parts.query)
        assert "X-Amz-Signature" in query, location
        assert 0 < int(query["X-Amz-Expires"][0]) <= 300, location
        return location

    location = signed_redirect(clerk.request.get(staff_href, max_redirects=0))
    with urllib.request.urlopen(location, timeout=10) as response:  # noqa: S310 - loopback
        assert response.read() == ATTACHMENT
    attachment_id = staff_href.rstrip("/").rsplit("/", 1)[-1]
    resident_file = f"/my/applications/{public_id}/files/{attachment_id}/"
    signed_redirect(page.request.get(resident_file, max_redirects=0))
    # Another resident, and nobody signed in, never get the address.
    other = topology_context(topology.portal_url, 390, 844).new_page()
    assert other.request.get(resident_file, max_redirects=0).status in (302, 404)
    response = other.request.get(resident_file, max_redirects=0)
    assert "X-Amz-Signature" not in response.headers.get("location", "")
    _resident_sign_in(other, OTHER_RESIDENT_EMAIL)
    assert other.request.get(resident_file, max_redirects=0).status == 404

    # ---- the portal frontend spread the journey over both portal nodes --------------------------
    served_after = _served_by_portal_nodes(topology)
    for node in ("portal-1", "portal-2"):
        assert served_after[node] > served_before.get(node, 0), (served_before, served_after)
    print(f"journey through the balancer: {time.monotonic() - began:.1f}s; portal nodes {served_after}")
