"""The demo's two cases of 伊賀市: one taking opinions with six sections and a PDF, one with its
published result (and so its open dataset); other towns get none."""

from __future__ import annotations

from idx.demo.public_comment import CYCLING_TITLES, DX_TITLES, TRANSPORT_TITLES, load_public_comment
from idx.opendata.models import Dataset
from idx.public_comment import services
from idx.public_comment.models import Consultation


def test_the_demo_cases(iga, watarai, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        accounts = load_public_comment(iga, staff_domain="staff.iga.example.jp")
    assert [email for _town, email, _what in accounts] == ["kotsu-seisaku-admin@staff.iga.example.jp"]
    open_case = Consultation.objects.get(municipality=iga, titles__ja=TRANSPORT_TITLES["ja"])
    assert open_case.state == "open" and open_case.sections.count() == 6
    assert open_case.documents.get().file.read(5) == b"%PDF-"
    closed = Consultation.objects.get(municipality=iga, titles__ja=DX_TITLES["ja"])
    assert closed.state == "result"
    assert closed.submissions.count() == 7
    assert Dataset.objects.get(municipality=iga, name=services.dataset_name(closed)).status == "published"
    assert load_public_comment(watarai) == []
    load_public_comment(iga)  # again: nothing doubles
    assert Consultation.objects.filter(municipality=iga).count() == 3
    pending = Consultation.objects.get(municipality=iga, titles__ja=CYCLING_TITLES["ja"])
    assert pending.state == "closed" and pending.submissions.count() == 3
