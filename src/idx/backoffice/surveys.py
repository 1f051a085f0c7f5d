"""Staff pages of Surveys: list, a simple form that makes the questions, open (a second look),
close, results with charts, the answers as CSV, and publishing the results (a second look)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import URLPattern, path
from django.utils import timezone

from idx.common.spreadsheet import csv_chunks
from idx.identity.models import Department
from idx.identity.policy import Action, can
from idx.procedures.definition import DefinitionError
from idx.surveys import selectors, services
from idx.surveys.models import Survey, SurveyStatus
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form

QUESTION_SLOTS = 8
KIND_CHOICES = [
    ("", "（使わない）"),
    ("single", "単一選択（どれか1つ）"),
    ("multiple", "複数選択（いくつでも）"),
    ("scale", "5段階評価"),
    ("text", "自由記述"),
    ("number", "数値"),
]


def _departments(request: IdxRequest) -> list[Department]:
    departments = Department.objects.filter(municipality=request.municipality).order_by("code")
    return [d for d in departments if can(request.user, Action.MANAGE_SURVEYS, d)]


def _survey(request: IdxRequest, code: str) -> Survey:
    survey = selectors.survey_get(municipality=request.municipality, code=code)
    if survey is None or not can(request.user, Action.MANAGE_SURVEYS, survey.department):
        raise Http404
    return survey


class SurveyForm(forms.Form):
    title_ja = forms.CharField(label="題名（日本語）", max_length=120)
    title_en = forms.CharField(label="題名（英語）", max_length=200, required=False)
    title_easy = forms.CharField(label="題名（やさしい日本語）", max_length=120, required=False)
    description_ja = forms.CharField(
        label="説明（日本語）", max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    code = forms.SlugField(
        label="コード", max_length=50, help_text="アドレスに使う英小文字・数字・ハイフン（例: homepage-2026）"
    )
    department = forms.ChoiceField(label="担当課")
    opens_on = forms.DateField(label="開始日", help_text="例: 2026-12-01")
    closes_on = forms.DateField(label="締切日", help_text="例: 2026-12-31")
    signed = forms.BooleanField(label="記名式（サインインした市民のみ・1人1回）", required=False)

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department_field = self.fields["department"]
        assert isinstance(department_field, forms.ChoiceField)
        department_field.choices = [(d.code, d.name) for d in departments]
        for n in range(1, QUESTION_SLOTS + 1):
            self.fields[f"q{n}_kind"] = forms.ChoiceField(label="種類", choices=KIND_CHOICES, required=False)
            self.fields[f"q{n}_label"] = forms.CharField(label="質問文", max_length=300, required=False)
            self.fields[f"q{n}_choices"] = forms.CharField(
                label="選択肢（1行に1つ）", required=False, widget=forms.Textarea(attrs={"rows": 4})
            )
            self.fields[f"q{n}_required"] = forms.BooleanField(label="回答必須", required=False)

    def question_slots(self) -> list[dict[str, Any]]:
        return [
            {
                "number": n,
                "kind": self[f"q{n}_kind"],
                "label": self[f"q{n}_label"],
                "choices": self[f"q{n}_choices"],
                "required": self[f"q{n}_required"],
            }
            for n in range(1, QUESTION_SLOTS + 1)
        ]

    def questions(self) -> list[dict[str, Any]]:
        found = []
        for n in range(1, QUESTION_SLOTS + 1):
            kind = self.cleaned_data.get(f"q{n}_kind")
            if not kind:
                continue
            label = (self.cleaned_data.get(f"q{n}_label") or "").strip()
            choices = [line.strip() for line in (self.cleaned_data.get(f"q{n}_choices") or "").splitlines()]
            choices = [c for c in choices if c]
            if not label:
                self.add_error(f"q{n}_label", f"質問{n}の質問文を入力してください。")
            if kind in ("single", "multiple") and len(choices) < 2:
                self.add_error(f"q{n}_choices", f"質問{n}の選択肢を2つ以上、1行に1つずつ入力してください。")
            found.append(
                {
                    "kind": kind,
                    "label": {"ja": label},
                    "choices": [{"ja": c} for c in choices],
                    "required": bool(self.cleaned_data.get(f"q{n}_required")),
                }
            )
        if not found:
            self.add_error("q1_kind", "質問を1つ以上作ってください。")
        return found


@staff_required
def survey_list(request: IdxRequest) -> HttpResponseBase:
    if not can(request.user, Action.MANAGE_SURVEYS):
        raise Http404
    surveys = [
        s
        for s in selectors.surveys_for_staff(municipality=request.municipality)
        if can(request.user, Action.MANAGE_SURVEYS, s.department)
    ]
    return render(request, "backoffice/surveys/list.html", {"surveys": surveys})


@staff_required
def survey_new(request: IdxRequest) -> HttpResponseBase:
    departments = _departments(request)
    if not departments:
        raise Http404
    form = SurveyForm(request.POST or None, departments=departments)
    if request.method == "POST" and form.is_valid():
        questions = form.questions()
        if form.is_valid():
            data = form.cleaned_data
            titles = {"ja": data["title_ja"], "en": data["title_en"] or data["title_ja"]}
            if data["title_easy"]:
                titles["ja-easy"] = data["title_easy"]
            try:
                survey = services.survey_create(
                    municipality=request.municipality,
                    department=next(d for d in departments if d.code == data["department"]),
                    actor=request.user,
                    code=data["code"],
                    titles=titles,
                    descriptions={"ja": data["description_ja"]} if data["description_ja"] else {},
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    signed=data["signed"],
                    questions=questions,
                )
            except DefinitionError as exc:
                form.add_error(None, "質問の定義に問題があります: " + "; ".join(exc.problems_translated()))
            except services.SurveyError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, "アンケートを下書きとして作りました。")
                return redirect("backoffice:survey_detail", code=survey.code)
    status = 422 if request.method == "POST" else 200
    return render(
        request,
        "backoffice/surveys/new.html",
        {"form": form, "error_summary": summary_from_form(form) if form.errors else []},
        status=status,
    )


@staff_required
def survey_detail(request: IdxRequest, code: str) -> HttpResponseBase:
    survey = _survey(request, code)
    results = selectors.survey_results(survey, with_texts=True)
    return render(request, "backoffice/surveys/detail.html", {"survey": survey, "results": results})


_STEPS = {
    "open": (SurveyStatus.DRAFT, services.survey_open, "回答の受付を始めますか", "受付を始めました。"),
    "close": (SurveyStatus.OPEN, services.survey_close, "回答の受付を締め切りますか", "締め切りました。"),
    "publish": (
        SurveyStatus.CLOSED,
        services.survey_publish_results,
        "結果を公表しますか",
        "結果を公表し、オープンデータに載せました。",
    ),
}


@staff_required
def survey_confirm(request: IdxRequest, code: str, step: str) -> HttpResponseBase:
    """A second look before opening, closing or publishing; the POST does it."""
    survey = _survey(request, code)
    if step not in _STEPS:
        raise Http404
    needed, service, question, done = _STEPS[step]
    if survey.status != needed:
        return redirect("backoffice:survey_detail", code=survey.code)
    if request.method == "POST":
        try:
            service(survey=survey, actor=request.user)
        except services.SurveyError as exc:
            messages.error(request, exc.text())
        else:
            messages.success(request, done)
        return redirect("backoffice:survey_detail", code=survey.code)
    results = selectors.survey_results(survey) if step == "publish" else None
    return render(
        request,
        "backoffice/surveys/confirm.html",
        {"survey": survey, "step": step, "question": question, "results": results},
    )


@staff_required
def survey_csv(request: IdxRequest, code: str) -> HttpResponseBase:
    survey = _survey(request, code)
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in csv_chunks(selectors.answers_csv_rows(survey), batch=200)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.code}-answers-{stamp}.csv"'
    return response


urlpatterns: list[URLPattern] = [
    path("surveys/", survey_list, name="survey_list"),
    path("surveys/new/", survey_new, name="survey_new"),
    path("surveys/<slug:code>/", survey_detail, name="survey_detail"),
    path("surveys/<slug:code>/answers.csv", survey_csv, name="survey_csv"),
    path("surveys/<slug:code>/<slug:step>/", survey_confirm, name="survey_confirm"),
]
