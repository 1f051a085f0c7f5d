"""A procedure's versions between editing and residents: the list of versions in words, what
changed between two of them, publishing the draft now or at a set moment after a second look
(公開前の確認), and withdrawing the published version in favour of the one before it (取り下げ)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from idx.backoffice.procedures import editable_procedure
from idx.common import dates
from idx.common.errors import DomainError
from idx.common.i18n import pick
from idx.common.wareki import DateParseError, parse_date
from idx.identity.models import User
from idx.procedures.definition import DefinitionError
from idx.procedures.diff import VersionDiff, diff_definitions
from idx.procedures.models import Procedure, ProcedureVersion
from idx.procedures.services import (
    procedure_version_publish,
    procedure_version_schedule,
    procedure_version_unschedule,
    procedure_version_withdraw,
)
from idx.web.errors import form_add_domain_error
from idx.web.http import IdxRequest, staff_required
from idx.web.summary import summary_from_form

Status = ProcedureVersion.Status


def moment_text(value: dt.datetime) -> str:
    """2027年4月1日 0:00 (the time of day without the weekday, for 公開予定（…）)."""
    return f"{dates.format_date(value, weekday=False)} {dates.format_time(value)}"


def status_text(version: ProcedureVersion) -> str:
    """The version's state in words: 公開中, 下書き, 公開予定（2027年4月1日 0:00）, 取り下げ, 公開終了."""
    if version.status == Status.DRAFT and version.publish_at is not None:
        return _("Scheduled (%(moment)s)") % {"moment": moment_text(version.publish_at)}
    return {
        Status.DRAFT: _("Draft"),
        Status.PUBLISHED: _("Published now"),
        Status.RETIRED: _("Replaced by a later version"),
        Status.WITHDRAWN: _("Withdrawn version"),
    }[Status(version.status)]


def _name(user: User | None) -> str:
    return user.full_name if user is not None and user.full_name else _("the system")


@dataclass
class VersionRow:
    version: ProcedureVersion
    status: str
    events: list[str]
    previous_number: int | None


def _rows(versions: list[ProcedureVersion]) -> list[VersionRow]:
    rows = []
    for index, version in enumerate(versions):
        events = [
            _("Created by %(name)s on %(moment)s")
            % {"name": _name(version.created_by), "moment": dates.format_datetime(version.created_at)}
        ]
        if version.published_at is not None:
            events.append(
                _("Published by %(name)s on %(moment)s")
                % {"name": _name(version.published_by), "moment": dates.format_datetime(version.published_at)}
            )
        if version.publish_at is not None:
            events.append(
                _("Scheduled by %(name)s for %(moment)s")
                % {"name": _name(version.scheduled_by), "moment": dates.format_datetime(version.publish_at)}
            )
        if version.withdrawn_at is not None:
            events.append(
                _("Withdrawn by %(name)s on %(moment)s. Reason: %(reason)s")
                % {
                    "name": _name(version.withdrawn_by),
                    "moment": dates.format_datetime(version.withdrawn_at),
                    "reason": version.withdrawal_reason,
                }
            )
        previous = versions[index + 1].number if index + 1 < len(versions) else None
        rows.append(VersionRow(version, status_text(version), events, previous))
    return rows


def _draft(procedure: Procedure) -> ProcedureVersion | None:
    return procedure.versions.filter(status=Status.DRAFT).order_by("-number").first()


def _previous_published(procedure: Procedure) -> ProcedureVersion | None:
    current = procedure.published_version
    if current is None:
        return None
    return (
        procedure.versions.filter(
            number__lt=current.number, status=Status.RETIRED, published_at__isnull=False
        )
        .order_by("-number")
        .first()
    )


@staff_required
def version_list(request: IdxRequest, code: str) -> HttpResponseBase:
    procedure = editable_procedure(request, code)
    versions = list(
        procedure.versions.defer("definition")
        .select_related("created_by", "published_by", "scheduled_by", "withdrawn_by")
        .order_by("-number")
    )
    return render(
        request,
        "backoffice/procedure_versions/list.html",
        {
            "procedure": procedure,
            "name": pick(procedure.names),
            "rows": _rows(versions),
            "draft": next((version for version in versions if version.status == Status.DRAFT), None),
            "can_withdraw": _previous_published(procedure) is not None,
        },
    )


class DiffForm(forms.Form):
    source = forms.TypedChoiceField(label=gettext_lazy("Compare version"), coerce=int)
    target = forms.TypedChoiceField(label=gettext_lazy("with version"), coerce=int)

    def __init__(self, *args: Any, numbers: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [(number, _("Version %(number)s") % {"number": number}) for number in numbers]
        for name in ("source", "target"):
            field = self.fields[name]
            assert isinstance(field, forms.TypedChoiceField)
            field.choices = choices
            field.error_messages["invalid_choice"] = _("Choose a version of this procedure.")


@staff_required
def version_diff(request: IdxRequest, code: str) -> HttpResponseBase:
    """What changed from version ``from`` to version ``to`` (by default: published → draft)."""
    procedure = editable_procedure(request, code)
    numbers = list(procedure.versions.order_by("-number").values_list("number", flat=True))
    if not numbers:
        raise Http404
    published = procedure.published_version
    draft = _draft(procedure)
    default_source = published.number if published else numbers[-1]
    default_target = draft.number if draft else numbers[0]
    data = {
        "source": request.GET.get("from", str(default_source)),
        "target": request.GET.get("to", str(default_target)),
    }
    form = DiffForm(data, numbers=numbers)
    diff: VersionDiff | None = None
    source = target = None
    if form.is_valid():
        by_number = {
            version.number: version
            for version in procedure.versions.filter(
                number__in=[form.cleaned_data["source"], form.cleaned_data["target"]]
            )
        }
        source, target = by_number[form.cleaned_data["source"]], by_number[form.cleaned_data["target"]]
        diff = diff_definitions(source.definition, target.definition)
    return render(
        request,
        "backoffice/procedure_versions/diff.html",
        {
            "procedure": procedure,
            "name": pick(procedure.names),
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
            "diff": diff,
            "source": source,
            "target": target,
            "source_status": status_text(source) if source else "",
            "target_status": status_text(target) if target else "",
        },
        status=200 if form.is_valid() else 422,
    )


def _fingerprint(version: ProcedureVersion) -> str:
    """A short digest of the draft as looked at: publishing refuses a draft changed since."""
    text = json.dumps(version.definition, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_TIME = re.compile(r"^\s*(?:午前)?(\d{1,2})\s*(?:[:：時]\s*(?:(\d{1,2})\s*分?)?)?\s*$")


def parse_time(text: str) -> dt.time:
    """0:00, 9:30, 0時, 9時30分 (full-width digits too) as a time of day."""
    match = _TIME.match(unicodedata.normalize("NFKC", text or "").replace("：", ":"))
    if not match:
        raise ValueError(text)
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    return dt.time(hour, minute)


class PublishForm(forms.Form):
    when = forms.ChoiceField(
        label=gettext_lazy("When to publish"),
        choices=[
            ("now", gettext_lazy("Publish now")),
            ("scheduled", gettext_lazy("Publish on a date and time")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose when to publish.")},
    )
    publish_date = forms.CharField(label=gettext_lazy("Date of publishing"), required=False, max_length=30)
    publish_time = forms.CharField(label=gettext_lazy("Time of publishing"), required=False, max_length=10)
    confirm = forms.BooleanField(
        label=gettext_lazy("I have checked the changes above"),
        error_messages={
            "required": gettext_lazy("Tick the box to confirm that you have checked the changes.")
        },
    )
    checked = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("when") != "scheduled":
            return cleaned
        day: dt.date | None = None
        moment: dt.time | None = None
        try:
            day = parse_date(cleaned.get("publish_date") or "")
        except DateParseError:
            self.add_error(
                "publish_date",
                _("Enter the date like 令和9年4月1日 or 2027年4月1日."),
            )
        try:
            moment = parse_time(cleaned.get("publish_time") or "")
        except ValueError:
            self.add_error("publish_time", _("Enter the time like 0:00 or 9時30分."))
        if day is not None and moment is not None:
            publish_at = timezone.make_aware(dt.datetime.combine(day, moment))
            if publish_at <= timezone.now():
                self.add_error("publish_date", _("Choose a moment in the future for publishing."))
            cleaned["publish_at"] = publish_at
        return cleaned


def _draft_problems(draft: ProcedureVersion) -> list[str]:
    try:
        draft.parsed  # noqa: B018 - parsed once per process and content
    except DefinitionError as exc:
        return exc.problems_translated()
    return []


@staff_required
def publish(request: IdxRequest, code: str) -> HttpResponseBase:
    """The draft's changes against the published version, then publishing now or at a set moment."""
    procedure = editable_procedure(request, code)
    staff: User = request.user
    draft = _draft(procedure)
    published = procedure.published_version
    if request.method == "POST" and request.POST.get("action") == "unschedule" and draft is not None:
        try:
            procedure_version_unschedule(version=draft, actor=staff)
        except DomainError as exc:
            messages.error(request, exc.text())
        else:
            messages.success(
                request, _("The schedule of version %(number)s was cancelled.") % {"number": draft.number}
            )
        return redirect("backoffice:procedure_publish", code=procedure.code)
    form = PublishForm(
        request.POST if request.method == "POST" else None,
        initial={"checked": _fingerprint(draft) if draft else ""},
    )
    problems = _draft_problems(draft) if draft is not None else []
    status = 200
    if request.method == "POST" and draft is not None and not problems and form.is_valid():
        if form.cleaned_data.get("checked") != _fingerprint(draft):
            form.add_error(
                None, _("The draft was changed after this page was opened. Check the changes again.")
            )
        else:
            try:
                if form.cleaned_data["when"] == "now":
                    version = procedure_version_publish(version=draft, actor=staff)
                    messages.success(
                        request, _("Version %(number)s was published.") % {"number": version.number}
                    )
                else:
                    version = procedure_version_schedule(
                        version=draft, publish_at=form.cleaned_data["publish_at"], actor=staff
                    )
                    messages.success(
                        request,
                        _("Version %(number)s will be published on %(moment)s.")
                        % {"number": version.number, "moment": moment_text(form.cleaned_data["publish_at"])},
                    )
                return redirect("backoffice:procedure_versions", code=procedure.code)
            except DefinitionError as exc:
                problems = exc.problems_translated()
            except DomainError as exc:
                form_add_domain_error(form, exc, fallback_field="publish_date")
    if request.method == "POST":
        status = 422
    if draft is not None and form.is_bound:
        # The page shows the draft as it is now: a second submit confirms this content.
        data = request.POST.copy()
        data["checked"] = _fingerprint(draft)
        form.data = data
    return render(
        request,
        "backoffice/procedure_versions/publish.html",
        {
            "procedure": procedure,
            "name": pick(procedure.names),
            "draft": draft,
            "published": published,
            "diff": diff_definitions(published.definition if published else {}, draft.definition)
            if draft
            else None,
            "problems": problems,
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
            "scheduled_text": moment_text(draft.publish_at) if draft and draft.publish_at else "",
        },
        status=status,
    )


class WithdrawForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for withdrawing"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={
            "required": gettext_lazy("Enter the reason for withdrawing."),
            "max_length": gettext_lazy("Enter the reason for withdrawing, in 500 characters or fewer."),
        },
    )


@staff_required
def withdraw(request: IdxRequest, code: str) -> HttpResponseBase:
    """Confirm withdrawing the published version: says which version comes back, asks a reason."""
    procedure = editable_procedure(request, code)
    current = procedure.published_version
    previous = _previous_published(procedure)
    form = WithdrawForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and current is not None and previous is not None and form.is_valid():
        try:
            back = procedure_version_withdraw(
                procedure=procedure, actor=request.user, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form_add_domain_error(form, exc, fallback_field="reason")
        else:
            messages.success(
                request,
                _("Version %(number)s was withdrawn. Version %(previous)s is published again.")
                % {"number": current.number, "previous": back.number},
            )
            return redirect("backoffice:procedure_versions", code=procedure.code)
    return render(
        request,
        "backoffice/procedure_versions/withdraw.html",
        {
            "procedure": procedure,
            "name": pick(procedure.names),
            "current": current,
            "previous": previous,
            "diff": diff_definitions(current.definition, previous.definition)
            if current and previous
            else None,
            "form": form,
            "error_summary": summary_from_form(form) if form.errors else [],
        },
        status=422 if form.errors else 200,
    )
