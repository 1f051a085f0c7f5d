"""Open data in the back office: a department prepares a dataset and its files, 情報政策課 reviews
and publishes it (a second look before anything is public), and can withdraw it with a reason."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from idx.identity.models import Department
from idx.identity.policy import Action, can, scope_of
from idx.identity.policy import Scope as PolicyScope
from idx.opendata import services, standards
from idx.opendata.licenses import LICENSES
from idx.opendata.models import Dataset, Frequency, Resource, ResourceFormat, Theme
from idx.opendata.tabular import StandardRefused
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import SummaryItem, summary_from_form

# Tim Berners-Lee's 5-star levels that IDX can reach, in words (Dataset.openness_stars).
STAR_LEVELS = {
    0: gettext_lazy("No files yet"),
    1: gettext_lazy("Open license (PDF and the like)"),
    2: gettext_lazy("Machine-readable data (Excel and the like)"),
    3: gettext_lazy("Open format (CSV and the like)"),
}


def stars(level: int) -> dict[str, Any]:
    """The level as ★★★☆☆ and in words, for a page."""
    return {"level": level, "filled": "★" * level, "empty": "☆" * (5 - level), "words": STAR_LEVELS[level]}


def normalised_texts(changes: dict[str, int]) -> list[str]:
    """What the normalisation of an upload changed, in sentences (「和暦の日付 12件を西暦に直しました」)."""
    texts = []
    if changes.get("encoding"):
        texts.append(_("The file was Shift_JIS: it is stored as UTF-8."))
    for key, singular, plural in (
        (
            "wareki",
            "Changed %(count)s Japanese-era date to a Western date.",
            "Changed %(count)s Japanese-era dates to Western dates.",
        ),
        ("date", "Wrote %(count)s date as YYYY-MM-DD.", "Wrote %(count)s dates as YYYY-MM-DD."),
        ("time", "Wrote %(count)s time as hh:mm.", "Wrote %(count)s times as hh:mm."),
        (
            "width",
            "Changed full-width digits, letters or spaces to half-width in %(count)s cell.",
            "Changed full-width digits, letters or spaces to half-width in %(count)s cells.",
        ),
        (
            "kana",
            "Changed half-width katakana to full-width in %(count)s cell.",
            "Changed half-width katakana to full-width in %(count)s cells.",
        ),
    ):
        count = changes.get(key, 0)
        if count:
            texts.append(ngettext(singular, plural, count) % {"count": f"{count:,}"})
    return texts


def _departments(request: IdxRequest) -> list[Department]:
    departments = Department.objects.filter(municipality=request.municipality).order_by("code")
    return [department for department in departments if can(request.user, Action.EDIT_OPEN_DATA, department)]


def _dataset(request: IdxRequest, name: str, action: Action) -> Dataset:
    dataset = (
        Dataset.objects.filter(municipality=request.municipality, name=name)
        .select_related("department")
        .prefetch_related("resources", "resources__versions")
        .first()
    )
    if dataset is None or not can(request.user, action, dataset.department):
        raise Http404
    return dataset


@staff_required
def dataset_list(request: IdxRequest) -> HttpResponseBase:
    if not can(request.user, Action.EDIT_OPEN_DATA):
        raise Http404
    datasets = Dataset.objects.filter(municipality=request.municipality).select_related("department")
    if scope_of(request.user.role, Action.EDIT_OPEN_DATA) != PolicyScope.ALL_DEPARTMENTS:
        datasets = datasets.filter(department_id=request.user.department_id or 0)
    return render(
        request,
        "backoffice/opendata/list.html",
        {
            "datasets": [
                (dataset, stars(dataset.openness_stars))
                for dataset in datasets.prefetch_related("resources").order_by("status", "name")
            ],
            "reviewer": can(request.user, Action.PUBLISH_OPEN_DATA),
        },
    )


class DatasetForm(forms.Form):
    department = forms.ChoiceField(label=gettext_lazy("Department that publishes it"))
    name = forms.SlugField(
        label=gettext_lazy("Dataset address"),
        max_length=100,
        help_text=gettext_lazy(
            "Lowercase letters, digits and hyphens, e.g. evacuation-sites. It becomes part of the web address."
        ),
    )
    title_ja = forms.CharField(label=gettext_lazy("Title (Japanese)"), max_length=200)
    title_en = forms.CharField(label=gettext_lazy("Title (English)"), max_length=200, required=False)
    description_ja = forms.CharField(
        label=gettext_lazy("Description (Japanese)"), widget=forms.Textarea(attrs={"rows": 4})
    )
    description_en = forms.CharField(
        label=gettext_lazy("Description (English)"), widget=forms.Textarea(attrs={"rows": 4}), required=False
    )
    theme = forms.ChoiceField(label=gettext_lazy("Theme"), choices=Theme.choices)
    tags = forms.CharField(
        label=gettext_lazy("Tags"),
        required=False,
        help_text=gettext_lazy("Separate words with 、 or commas."),
    )
    standard = forms.ChoiceField(
        label=gettext_lazy("Standard dataset it follows"),
        required=False,
        help_text=gettext_lazy(
            "If it is one of the standard municipal open datasets, its CSV files are checked against the "
            "standard's columns. Download the template to fill in from the list of standards."
        ),
    )
    license_id = forms.ChoiceField(label=gettext_lazy("License"))
    frequency = forms.ChoiceField(
        label=gettext_lazy("How often it is updated"), choices=Frequency.choices, initial=Frequency.IRREGULAR
    )
    spatial = forms.CharField(
        label=gettext_lazy("Area"), max_length=100, required=False, initial="三重県伊賀市"
    )
    contact_name = forms.CharField(label=gettext_lazy("Who answers questions about the data"), max_length=100)
    contact_phone = forms.CharField(label=gettext_lazy("Phone number"), max_length=20, required=False)
    contact_email = forms.EmailField(label=gettext_lazy("Email address"), required=False)

    def __init__(self, *args: Any, departments: list[Department], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        department_field = self.fields["department"]
        assert isinstance(department_field, forms.ChoiceField)
        department_field.choices = [(department.code, department.name) for department in departments]
        license_field = self.fields["license_id"]
        assert isinstance(license_field, forms.ChoiceField)
        license_field.choices = [(license.id, license.title) for license in LICENSES.values()]
        standard_field = self.fields["standard"]
        assert isinstance(standard_field, forms.ChoiceField)
        standard_field.choices = [("", _("None"))] + [
            (standard.number, f"{standard.number} {standard.names['ja']}")
            for standard in standards.all_standards()
        ]


@staff_required
def dataset_new(request: IdxRequest) -> HttpResponseBase:
    departments = _departments(request)
    if not departments:
        raise Http404
    form = DatasetForm(
        request.POST or None,
        departments=departments,
        initial={"department": request.user.department.code if request.user.department else ""},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        department = next(department for department in departments if department.code == data["department"])
        tags = [tag.strip() for tag in data["tags"].replace("、", ",").split(",") if tag.strip()]
        try:
            dataset = services.dataset_create(
                municipality=request.municipality,
                department=department,
                data={
                    "name": data["name"],
                    "titles": {
                        key: value
                        for key, value in (("ja", data["title_ja"]), ("en", data["title_en"]))
                        if value
                    },
                    "descriptions": {
                        key: value
                        for key, value in (("ja", data["description_ja"]), ("en", data["description_en"]))
                        if value
                    },
                    "theme": data["theme"],
                    "standard": data["standard"],
                    "tags": tags,
                    "license_id": data["license_id"],
                    "frequency": data["frequency"],
                    "spatial": data["spatial"],
                    "contact_name": data["contact_name"],
                    "contact_phone": data["contact_phone"],
                    "contact_email": data["contact_email"],
                },
                actor=request.user,
            )
        except services.OpenDataRefused as exc:
            field = {"titles": "title_ja", "descriptions": "description_ja"}.get(exc.field or "", exc.field)
            exc.field = field
            form_add_domain_error(form, exc)
        else:
            messages.success(request, _("The dataset was created as a draft. Add its files next."))
            return redirect("backoffice:opendata_detail", name=dataset.name)
    return render(
        request,
        "backoffice/opendata/new.html",
        {"form": form, "error_summary": summary_from_form(form) if form.errors else []},
        status=422 if form.errors else 200,
    )


class ResourceForm(forms.Form):
    name_ja = forms.CharField(label=gettext_lazy("File name shown to people (Japanese)"), max_length=200)
    name_en = forms.CharField(
        label=gettext_lazy("File name shown to people (English)"), max_length=200, required=False
    )
    format = forms.ChoiceField(label=gettext_lazy("File format"), choices=ResourceFormat.choices)
    file = forms.FileField(label=gettext_lazy("File"))


class ReplaceForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("New file"))


def _replace_summary(form: ReplaceForm, resource: Resource | None) -> list[SummaryItem]:
    """The replace form's errors, linking to the file field of the resource being replaced."""
    if resource is None:
        return []
    return [
        SummaryItem(f"replace-{resource.uid}", f"{form['file'].label}: {error}")
        for error in form["file"].errors
    ]


def _upload_done(request: IdxRequest, upload: services.Upload, text: str) -> None:
    messages.success(request, text)
    for note in normalised_texts(upload.normalised):
        messages.info(request, note)


@staff_required
def dataset_detail(request: IdxRequest, name: str) -> HttpResponseBase:
    dataset = _dataset(request, name, Action.EDIT_OPEN_DATA)
    action = request.POST.get("action", "") if request.method == "POST" else ""
    form = (
        ResourceForm(request.POST or None, request.FILES or None) if action in ("", "add") else ResourceForm()
    )
    replace_form = ReplaceForm(request.POST, request.FILES) if action == "replace" else ReplaceForm()
    replacing: Resource | None = None
    problems: StandardRefused | None = None
    if action == "submit":
        try:
            services.dataset_submit_for_review(dataset=dataset, actor=request.user)
        except services.OpenDataRefused as exc:
            messages.error(request, exc.text())
        else:
            messages.success(request, _("Sent for review. 情報政策課 checks it before it is published."))
        return redirect("backoffice:opendata_detail", name=dataset.name)
    if action == "replace":
        replacing = next(
            (
                resource
                for resource in dataset.resources.all()
                if str(resource.uid) == request.POST.get("resource")
            ),
            None,
        )
        if replacing is None:
            raise Http404
        if replace_form.is_valid():
            upload = replace_form.cleaned_data["file"]
            try:
                result = services.resource_replace(
                    resource=replacing, filename=upload.name, content=upload, actor=request.user
                )
            except services.OpenDataRefused as exc:
                form_add_domain_error(replace_form, exc, fallback_field="file")
                problems = exc if isinstance(exc, StandardRefused) else None
            else:
                _upload_done(
                    request, result, _("The new file was checked and replaced the old one, which is kept.")
                )
                return redirect("backoffice:opendata_detail", name=dataset.name)
    elif request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            result = services.resource_upload(
                dataset=dataset,
                names={
                    key: value
                    for key, value in (
                        ("ja", form.cleaned_data["name_ja"]),
                        ("en", form.cleaned_data["name_en"]),
                    )
                    if value
                },
                format=form.cleaned_data["format"],
                filename=upload.name,
                content=upload,
                actor=request.user,
            )
        except services.OpenDataRefused as exc:
            form_add_domain_error(form, exc, fallback_field="file")
            problems = exc if isinstance(exc, StandardRefused) else None
        else:
            _upload_done(request, result, _("The file was checked and added."))
            return redirect("backoffice:opendata_detail", name=dataset.name)
    failed = bool(form.errors or replace_form.errors)
    return render(
        request,
        "backoffice/opendata/detail.html",
        {
            "dataset": dataset,
            "license": LICENSES.get(dataset.license_id),
            "standard": standards.get(dataset.standard) if dataset.standard else None,
            "stars": stars(dataset.openness_stars),
            "form": form,
            "replace_form": replace_form,
            "replacing": replacing,
            "problems": problems,
            "error_summary": summary_from_form(form) + _replace_summary(replace_form, replacing)
            if failed
            else [],
            "can_upload": dataset.status in (Dataset.Status.DRAFT, Dataset.Status.WITHDRAWN),
            "can_replace": dataset.status != Dataset.Status.IN_REVIEW,
            "reviewer": can(request.user, Action.PUBLISH_OPEN_DATA, dataset.department),
        },
        status=422 if failed else 200,
    )


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=500, widget=forms.Textarea(attrs={"rows": 3})
    )


@staff_required
def dataset_review(request: IdxRequest, name: str) -> HttpResponseBase:
    """The second look: what becomes public, then publish, or send back with what to change."""
    dataset = _dataset(request, name, Action.PUBLISH_OPEN_DATA)
    if dataset.status != Dataset.Status.IN_REVIEW:
        return redirect("backoffice:opendata_detail", name=dataset.name)
    form = ReasonForm(request.POST if request.POST.get("action") == "return" else None)
    if (
        request.method == "POST"
        and request.POST.get("action") == "publish"
        and request.POST.get("confirmed") == "yes"
    ):
        try:
            services.dataset_publish(dataset=dataset, actor=request.user)
        except services.OpenDataRefused as exc:
            messages.error(request, exc.text())
            return redirect("backoffice:opendata_review", name=dataset.name)
        messages.success(request, _("Published. Anyone can now find and download it."))
        return redirect("backoffice:opendata_detail", name=dataset.name)
    if request.method == "POST" and request.POST.get("action") == "return" and form.is_valid():
        services.dataset_return_to_draft(
            dataset=dataset, actor=request.user, reason=form.cleaned_data["reason"]
        )
        messages.success(request, _("Sent back to the department with your reason."))
        return redirect("backoffice:opendata_detail", name=dataset.name)
    return render(
        request,
        "backoffice/opendata/review.html",
        {
            "dataset": dataset,
            "license": LICENSES.get(dataset.license_id),
            "stars": stars(dataset.openness_stars),
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=422 if form.errors else 200,
    )


@staff_required
def dataset_withdraw(request: IdxRequest, name: str) -> HttpResponseBase:
    dataset = _dataset(request, name, Action.PUBLISH_OPEN_DATA)
    if dataset.status != Dataset.Status.PUBLISHED:
        return redirect("backoffice:opendata_detail", name=dataset.name)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.dataset_withdraw(dataset=dataset, actor=request.user, reason=form.cleaned_data["reason"])
        messages.success(request, _("Withdrawn. It is no longer in the catalog, the CKAN API or DCAT."))
        return redirect("backoffice:opendata_detail", name=dataset.name)
    return render(
        request,
        "backoffice/opendata/withdraw.html",
        {"dataset": dataset, "form": form, "error_summary": summary_from_form(form) if form.errors else []},
        status=422 if form.errors else 200,
    )
