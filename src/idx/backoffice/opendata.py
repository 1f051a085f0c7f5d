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
from django.utils.translation import gettext_lazy

from idx.identity.models import Department
from idx.identity.policy import Action, can, scope_of
from idx.identity.policy import Scope as PolicyScope
from idx.opendata import services
from idx.opendata.licenses import LICENSES
from idx.opendata.models import Dataset, Frequency, ResourceFormat, Theme
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form


def _departments(request: IdxRequest) -> list[Department]:
    departments = Department.objects.filter(municipality=request.municipality).order_by("code")
    return [department for department in departments if can(request.user, Action.EDIT_OPEN_DATA, department)]


def _dataset(request: IdxRequest, name: str, action: Action) -> Dataset:
    dataset = (
        Dataset.objects.filter(municipality=request.municipality, name=name)
        .select_related("department")
        .prefetch_related("resources")
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
            "datasets": datasets.order_by("status", "name"),
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


@staff_required
def dataset_detail(request: IdxRequest, name: str) -> HttpResponseBase:
    dataset = _dataset(request, name, Action.EDIT_OPEN_DATA)
    form = ResourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and request.POST.get("action") == "submit":
        try:
            services.dataset_submit_for_review(dataset=dataset, actor=request.user)
        except services.OpenDataRefused as exc:
            messages.error(request, exc.text())
        else:
            messages.success(request, _("Sent for review. 情報政策課 checks it before it is published."))
        return redirect("backoffice:opendata_detail", name=dataset.name)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            services.resource_add(
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
        else:
            messages.success(request, _("The file was checked and added."))
            return redirect("backoffice:opendata_detail", name=dataset.name)
    return render(
        request,
        "backoffice/opendata/detail.html",
        {
            "dataset": dataset,
            "license": LICENSES[dataset.license_id],
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
            "can_upload": dataset.status in (Dataset.Status.DRAFT, Dataset.Status.WITHDRAWN),
            "reviewer": can(request.user, Action.PUBLISH_OPEN_DATA, dataset.department),
        },
        status=422 if form.errors else 200,
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
            "license": LICENSES[dataset.license_id],
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
