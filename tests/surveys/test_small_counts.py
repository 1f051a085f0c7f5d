"""Small counts are never published: results pages, charts, the API, the results CSV and the open
dataset show a count below the survey's threshold as "fewer than N" (and hide a second one when
subtraction would give the first away); staff still read the exact counts."""

from __future__ import annotations

import pytest
from django.test import Client

from idx.surveys import selectors, services
from idx.surveys.models import Survey
from tests.conftest import IGA_HOST
from tests.surveys.conftest import GOOD

pytestmark = pytest.mark.django_db


def _answer(survey: Survey, q1: list[str], *, ages: bool = True) -> None:
    for number, choice in enumerate(q1):
        answers = {**GOOD, "q1": choice, "q4": 20 + number}
        if not ages:
            answers.pop("q4")
        services.response_submit(survey=survey, resident=None, answers=answers)


def _publish(survey: Survey) -> Survey:
    services.survey_close(survey=survey, actor=None)
    return services.survey_publish_results(survey=survey, actor=None)


def test_a_small_count_is_hidden_with_a_second_one_against_subtraction(open_survey):
    # 毎週 12, 毎月 2, ほとんどない 6: 2 is small; 6 is hidden too, else 20 - 12 - 6 gives it away.
    _answer(open_survey, ["c1"] * 12 + ["c2"] * 2 + ["c3"] * 6)
    exact = selectors.survey_results(open_survey)
    assert [c.count for c in exact.questions[0].choices] == [12, 2, 6]
    assert not any(c.suppressed for c in exact.questions[0].choices)
    shown = selectors.survey_results(open_survey, suppress=True)
    q1 = shown.questions[0]
    assert [c.shown_count for c in q1.choices] == [12, None, None]
    assert [c.share_text for c in q1.choices] == ["60.0%", "", ""]
    assert shown.total == 20 and not shown.total_suppressed and q1.answered == 20
    # A several-answer question is not a sum: each choice stands alone; a 0 gives nobody away.
    assert [c.shown_count for c in shown.questions[1].choices] == [20, 0]


def test_a_question_answered_by_few_hides_all_its_figures(iga, open_survey):
    _answer(open_survey, ["c1", "c1", "c2"])
    shown = selectors.survey_results(open_survey, suppress=True)
    assert shown.total_suppressed
    ages = shown.questions[3]
    assert ages.answered_suppressed and ages.mean is None and ages.median is None
    assert all(c.suppressed for c in shown.questions[0].choices)  # the 0 as well: 3 answers in all


def test_the_threshold_is_a_setting_of_the_survey(open_survey):
    _answer(open_survey, ["c1"] * 6 + ["c2"] * 6 + ["c3"] * 6)
    assert not any(
        c.suppressed for c in selectors.survey_results(open_survey, suppress=True).questions[0].choices
    )
    Survey.objects.filter(pk=open_survey.pk).update(small_count_threshold=10)
    open_survey.refresh_from_db()
    shown = selectors.survey_results(open_survey, suppress=True)
    assert all(c.suppressed for c in shown.questions[0].choices)
    with pytest.raises(services.SurveyError) as refused:
        services.survey_update(
            survey=open_survey,
            actor=None,
            titles=open_survey.titles,
            descriptions={},
            opens_on=open_survey.opens_on,
            closes_on=open_survey.closes_on,
            signed=False,
            small_count_threshold=1,
        )
    assert refused.value.field == "small_count_threshold"


def test_the_results_page_the_csv_and_the_open_dataset_never_show_a_small_count(iga, open_survey):
    from idx.opendata.models import Dataset

    _answer(open_survey, ["c1"] * 12 + ["c2"] * 2 + ["c3"] * 6)
    survey = _publish(open_survey)
    rows = selectors.results_csv_rows(survey)
    weekly, monthly, rarely = rows[1:4]
    assert weekly[3:] == [12, "60.0", 20, 20]
    assert monthly[3:5] == ["5未満", ""] and rarely[3:5] == ["5未満", ""]
    dataset = Dataset.objects.get(municipality=iga, name="survey-homepage")
    content = dataset.resources.get().file.read().decode("utf-8-sig")
    assert "5未満" in content and ",2," not in content and ",6," not in content
    assert "申請が楽になりました" not in content
    assert "5件未満" in dataset.descriptions["ja"]
    page = Client(HTTP_HOST=IGA_HOST).get("/surveys/homepage/results/").content.decode()
    assert 'id="small-counts"' in page and "fewer than 5" in page
    assert ">2<" not in page and "10.0%" not in page and "30.0%" not in page
    assert "60.0%" in page


def test_a_charts_labels_get_no_ruby_but_its_table_does():
    from idx.common.furigana import annotate_html

    page = annotate_html(
        "<html><body><svg><text>防災無線</text></svg><table><tr><th>防災無線</th></tr></table></body></html>"
    )
    assert "<svg><text>防災無線</text></svg>" in page  # ruby inside SVG breaks the chart
    assert "<th><ruby>" in page
