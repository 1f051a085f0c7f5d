"""The demo's surveys load, are accepted by the engine, and loading twice adds nothing."""

from __future__ import annotations

import pytest

from idx.demo.surveys import load_surveys
from idx.opendata.models import Dataset
from idx.surveys import selectors
from idx.surveys.definition import parsed
from idx.surveys.models import Survey, SurveyStatus

pytestmark = pytest.mark.django_db


def test_demo_surveys(iga, watarai):
    assert load_surveys(iga) == 2
    assert load_surveys(iga) == 0 and load_surveys(watarai) == 0
    website = Survey.objects.get(municipality=iga, code="homepage-2026")
    assert website.status == SurveyStatus.OPEN and not website.signed
    assert len(parsed(website).steps[0].items) == 7
    results = selectors.survey_results(website, with_texts=True)
    assert results.total == 60 and all(r.resident_id is None for r in website.responses.all())
    bousai = Survey.objects.get(municipality=iga, code="bousai-info-2026")
    assert bousai.status == SurveyStatus.PUBLISHED and bousai.signed
    assert bousai.responses.filter(resident__isnull=False).count() == bousai.responses.count() > 0
    assert Dataset.objects.filter(
        municipality=iga, name="survey-bousai-info-2026", status="published"
    ).exists()
