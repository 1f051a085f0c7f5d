"""Staff pages of Surveys: list, a form that makes a draft with its first questions (texts in
Japanese, やさしい日本語 and English, the やさしい日本語 checked as in the builder), a draft's
texts and settings, its questions in the visual builder (`survey_builder`), open (a second look),
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
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from idx.backoffice import survey_builder
from idx.common.i18n import pick
from idx.common.replica import replica_reads
from idx.common.spreadsheet import csv_chunks
from idx.identity.models import Department
from idx.identity.policy import Action, can
from idx.procedures import builder
from idx.procedures.definition import DefinitionError
from idx.surveys import selectors, services
from idx.surveys.models import SMALL_COUNT_DEFAULT, SMALL_COUNT_MAX, SMALL_COUNT_MIN, Survey, SurveyStatus
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form

QUESTION_SLOTS = 5
EDITED = (("ja", "ja"), ("ja_easy", "ja-easy"), ("en", "en"))  # form suffix, language
KIND_CHOICES = [
    ("", _("(not used)")),
    ("single", _("One choice")),
    ("multiple", _("Several choices")),
    ("scale", _("Scale of 5")),
    ("text", _("Free text")),
    ("number", pgettext_lazy("survey question", "Number")),
]
STATUS_NAMES: dict[str, Any] = {
    SurveyStatus.DRAFT: _("Draft"),
    SurveyStatus.OPEN: _("Taking answers"),
    SurveyStatus.CLOSED: _("Closed"),
    SurveyStatus.PUBLISHED: _("Results published"),
}


def _departments(request: IdxRequest) -> list[Department]:
    departments = Department.objects.filter(municipality=request.municipality).order_by("code")
    return [d for d in departments if can(request.user, Action.MANAGE_SURVEYS, d)]


def _survey(request: IdxRequest, code: str) -> Survey:
    survey = selectors.survey_get(municipality=request.municipality, code=code)
    if survey is None or not can(request.user, Action.MANAGE_SURVEYS, survey.department):
        raise Http404
    survey.status_name = STATUS_NAMES.get(survey.status, survey.status)  # type: ignore[attr-defined]
    return survey


def _easy_japanese(form: forms.Form, name: str) -> None:
    """The やさしい日本語 check of the builder, as an error naming the field."""
    text = form.cleaned_data.get(name) or ""
    advice = builder.easy_japanese_advice(text) if text else []
    if advice:
        form.add_error(name, " ".join(advice))


class SurveySettingsForm(forms.Form):
    """Title, description and settings, in Japanese, やさしい日本語 and English."""

    title_ja = forms.CharField(label=_("Title (Japanese)"), max_length=120)
    title_ja_easy = forms.CharField(label=_("Title (Easy Japanese)"), max_length=120, required=False)
    title_en = forms.CharField(label=_("Title (English)"), max_length=200)
    description_ja = forms.CharField(
        label=_("Description (Japanese)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    description_ja_easy = forms.CharField(
        label=_("Description (Easy Japanese)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Words separated by spaces, short sentences ending in です or ます."),
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    opens_on = forms.DateField(label=_("Opening date"), help_text=_("For example 2026-12-01"))
    closes_on = forms.DateField(label=_("Closing date"), help_text=_("For example 2026-12-31"))
    signed = forms.BooleanField(label=_("Signed (signed-in residents only, one answer each)"), required=False)
    small_count_threshold = forms.IntegerField(
        label=_("Hide published counts below"),
        min_value=SMALL_COUNT_MIN,
        max_value=SMALL_COUNT_MAX,
        initial=SMALL_COUNT_DEFAULT,
        help_text=_(
            "Published results show a smaller count as “fewer than” this number, so that nobody "
            "can be recognised. Staff always see the exact counts."
        ),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("title_ja_easy", "description_ja_easy"):
            _easy_japanese(self, name)
        return data

    def texts(self, prefix: str) -> dict[str, str]:
        return {
            lang: str(self.cleaned_data.get(f"{prefix}_{suffix}") or "").strip()
            for suffix, lang in EDITED
            if (self.cleaned_data.get(f"{prefix}_{suffix}") or "").strip()
        }

    def settings_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith("q")]


class SurveyForm(SurveySettingsForm):
    code = forms.SlugField(
        label=_("Code"),
        max_length=50,
        help_text=_("Lowercase letters, digits and hyphens used in the address (for example homepage-2026)"),
    )
    department = forms.ChoiceField(label=_("Department"))

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department_field = self.fields["department"]
        assert isinstance(department_field, forms.ChoiceField)
        department_field.choices = [(d.code, d.name) for d in departments]
        for n in range(1, QUESTION_SLOTS + 1):
            self.fields[f"q{n}_kind"] = forms.ChoiceField(
                label=_("Kind"), choices=KIND_CHOICES, required=False
            )
            for suffix, _lang in EDITED:
                self.fields[f"q{n}_label_{suffix}"] = forms.CharField(
                    label=LABELS[suffix], max_length=300, required=False
                )
            for suffix, _lang in EDITED:
                self.fields[f"q{n}_choices_{suffix}"] = forms.CharField(
                    label=CHOICE_LABELS[suffix],
                    required=False,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            self.fields[f"q{n}_required"] = forms.BooleanField(
                label=_("An answer is required"), required=False
            )

    def question_slots(self) -> list[dict[str, Any]]:
        return [
            {
                "number": n,
                "fields": [self[f"q{n}_kind"]]
                + [self[f"q{n}_label_{suffix}"] for suffix, _lang in EDITED]
                + [self[f"q{n}_choices_{suffix}"] for suffix, _lang in EDITED]
                + [self[f"q{n}_required"]],
            }
            for n in range(1, QUESTION_SLOTS + 1)
        ]

    def questions(self) -> list[dict[str, Any]]:
        found = []
        for n in range(1, QUESTION_SLOTS + 1):
            kind = self.cleaned_data.get(f"q{n}_kind")
            if not kind:
                continue
            label = {
                lang: (self.cleaned_data.get(f"q{n}_label_{suffix}") or "").strip() for suffix, lang in EDITED
            }
            lines = {
                lang: [
                    line.strip()
                    for line in (self.cleaned_data.get(f"q{n}_choices_{suffix}") or "").splitlines()
                    if line.strip()
                ]
                for suffix, lang in EDITED
            }
            for suffix, lang in (("ja", "ja"), ("en", "en")):
                if not label[lang]:
                    self.add_error(
                        f"q{n}_label_{suffix}",
                        _("Enter the text of question %(number)s in %(language)s.")
                        % {"number": n, "language": LANGUAGE_NAMES[lang]},
                    )
            _easy_japanese(self, f"q{n}_label_ja_easy")
            choices: list[dict[str, str]] = []
            if kind in ("single", "multiple"):
                if len(lines["ja"]) < 2:
                    self.add_error(
                        f"q{n}_choices_ja",
                        _("Enter two or more choices for question %(number)s, one per line.") % {"number": n},
                    )
                for suffix, lang in (("ja_easy", "ja-easy"), ("en", "en")):
                    # English is required (else a Japanese choice would stand unmarked on English
                    # pages); やさしい日本語 may be left out.
                    if (lines[lang] or lang == "en") and len(lines[lang]) != len(lines["ja"]):
                        self.add_error(
                            f"q{n}_choices_{suffix}",
                            _("Give question %(number)s as many choices in %(language)s as in Japanese.")
                            % {"number": n, "language": LANGUAGE_NAMES[lang]},
                        )
                for index, text in enumerate(lines["ja"]):
                    choice = {"ja": text}
                    for lang in ("ja-easy", "en"):
                        if index < len(lines[lang]):
                            choice[lang] = lines[lang][index]
                    choices.append(choice)
            found.append(
                {
                    "kind": kind,
                    "label": {lang: text for lang, text in label.items() if text},
                    "choices": choices,
                    "required": bool(self.cleaned_data.get(f"q{n}_required")),
                }
            )
        if not found:
            self.add_error("q1_kind", _("Make at least one question."))
        return found


LABELS = {
    "ja": _("Question (Japanese)"),
    "ja_easy": _("Question (Easy Japanese)"),
    "en": _("Question (English)"),
}
CHOICE_LABELS = {
    "ja": _("Choices in Japanese (one per line)"),
    "ja_easy": _("Choices in Easy Japanese (one per line, same order)"),
    "en": _("Choices in English (one per line, same order)"),
}
LANGUAGE_NAMES = {"ja": _("Japanese"), "ja-easy": _("Easy Japanese"), "en": _("English")}


@staff_required
def survey_list(request: IdxRequest) -> HttpResponseBase:
    if not can(request.user, Action.MANAGE_SURVEYS):
        raise Http404
    surveys = [
        s
        for s in selectors.surveys_for_staff(municipality=request.municipality)
        if can(request.user, Action.MANAGE_SURVEYS, s.department)
    ]
    for survey in surveys:
        survey.status_name = STATUS_NAMES.get(survey.status, survey.status)  # type: ignore[attr-defined]
    return render(request, "backoffice/surveys/list.html", {"surveys": surveys})


def _form_page(request: IdxRequest, template: str, context: dict[str, Any]) -> HttpResponseBase:
    form = context["form"]
    context["error_summary"] = summary_from_form(form) if form.errors else []
    return render(request, template, context, status=422 if request.method == "POST" else 200)


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
            try:
                survey = services.survey_create(
                    municipality=request.municipality,
                    department=next(d for d in departments if d.code == data["department"]),
                    actor=request.user,
                    code=data["code"],
                    titles=form.texts("title"),
                    descriptions=form.texts("description"),
                    opens_on=data["opens_on"],
                    closes_on=data["closes_on"],
                    signed=data["signed"],
                    questions=questions,
                    small_count_threshold=data["small_count_threshold"],
                )
            except DefinitionError as exc:
                form.add_error(
                    None,
                    gettext_now("The questions have a problem: %(problems)s")
                    % {"problems": "; ".join(exc.problems_translated())},
                )
            except services.SurveyError as exc:
                form_add_domain_error(form, exc)
            else:
                messages.success(request, gettext_now("The survey is saved as a draft."))
                return redirect("backoffice:survey_detail", code=survey.code)
    return _form_page(request, "backoffice/surveys/new.html", {"form": form})


@staff_required
def survey_edit(request: IdxRequest, code: str) -> HttpResponseBase:
    """A draft's title, description and settings (its questions: the builder)."""
    survey = _survey(request, code)
    if survey.status != SurveyStatus.DRAFT:
        return redirect("backoffice:survey_detail", code=survey.code)
    initial: dict[str, Any] = {
        "opens_on": survey.opens_on,
        "closes_on": survey.closes_on,
        "signed": survey.signed,
        "small_count_threshold": survey.small_count_threshold,
    }
    for suffix, lang in EDITED:
        initial[f"title_{suffix}"] = survey.titles.get(lang, "")
        initial[f"description_{suffix}"] = survey.descriptions.get(lang, "")
    form = SurveySettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.survey_update(
                survey=survey,
                actor=request.user,
                titles={**survey.titles, **form.texts("title")},
                descriptions=form.texts("description"),
                opens_on=data["opens_on"],
                closes_on=data["closes_on"],
                signed=data["signed"],
                small_count_threshold=data["small_count_threshold"],
            )
        except services.SurveyError as exc:
            form_add_domain_error(form, exc)
        else:
            messages.success(request, gettext_now("The survey is saved."))
            return redirect("backoffice:survey_detail", code=survey.code)
    return _form_page(request, "backoffice/surveys/edit.html", {"form": form, "survey": survey})


@staff_required
def survey_detail(request: IdxRequest, code: str) -> HttpResponseBase:
    survey = _survey(request, code)
    results = selectors.survey_results(survey, with_texts=True)
    return render(
        request,
        "backoffice/surveys/detail.html",
        {"survey": survey, "results": results, "title": pick(survey.titles)},
    )


_STEPS = {
    "open": (
        SurveyStatus.DRAFT,
        services.survey_open,
        _("Start taking answers?"),
        _("The survey is taking answers."),
    ),
    "close": (SurveyStatus.OPEN, services.survey_close, _("Close the survey?"), _("The survey is closed.")),
    "publish": (
        SurveyStatus.CLOSED,
        services.survey_publish_results,
        _("Publish the results?"),
        _("The results are published and added to the open data."),
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
            messages.success(request, str(done))
        return redirect("backoffice:survey_detail", code=survey.code)
    results = selectors.survey_results(survey, suppress=True) if step == "publish" else None
    return render(
        request,
        "backoffice/surveys/confirm.html",
        {
            "survey": survey,
            "step": step,
            "question": question,
            "results": results,
            "title": pick(survey.titles),
        },
    )


@staff_required
@replica_reads
def survey_csv(request: IdxRequest, code: str) -> HttpResponseBase:
    survey = _survey(request, code)
    response = StreamingHttpResponse(
        (chunk.encode("utf-8") for chunk in csv_chunks(selectors.answers_csv_rows(survey), batch=200)),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().strftime("%Y%m%d")
    response["Content-Disposition"] = f'attachment; filename="survey-{survey.code}-answers-{stamp}.csv"'
    return response


urlpatterns: list[URLPattern] = survey_builder.urlpatterns + [
    path("surveys/", survey_list, name="survey_list"),
    path("surveys/new/", survey_new, name="survey_new"),
    path("surveys/<slug:code>/", survey_detail, name="survey_detail"),
    path("surveys/<slug:code>/answers.csv", survey_csv, name="survey_csv"),
    path("surveys/<slug:code>/edit/", survey_edit, name="survey_edit"),
    path("surveys/<slug:code>/<slug:step>/", survey_confirm, name="survey_confirm"),
]
