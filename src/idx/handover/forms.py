"""The form of a hand-over target (the back office's create and edit pages)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from idx.common.i18n import pick
from idx.handover.destinations import FINGERPRINT, KEY_NAME
from idx.handover.models import Destination, HandoverTarget
from idx.procedures.models import Procedure

HEADER_CHOICES = [
    ("standard", _("National standard data-item names")),
    ("label", _("Item labels of the form")),
]
VALUE_CHOICES = [("codes", _("Codes (for a core system)")), ("labels", _("Labels (for people to read)"))]
FOLDER = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$|^[0-9a-fA-F:]+$")
REMOTE_DIRECTORY = re.compile(r"^/?[A-Za-z0-9._/-]*$")
SFTP_FIELDS = ("sftp_host", "sftp_user", "sftp_directory", "sftp_key_name", "sftp_host_key")


class ProcedureChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj: Procedure) -> str:
        return pick(obj.names) or obj.code


class HandoverTargetForm(forms.ModelForm):
    procedure = ProcedureChoice(queryset=Procedure.objects.none(), label=_("Procedure"), empty_label=None)
    headers = forms.ChoiceField(choices=HEADER_CHOICES, label=_("Column names"))
    values = forms.ChoiceField(choices=VALUE_CHOICES, label=_("Values"))
    daily_at = forms.TimeField(
        label=_("Daily run at"),
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        help_text=_("Each day at this time the new decided cases are handed over."),
    )

    class Meta:
        model = HandoverTarget
        fields = [
            "name",
            "procedure",
            "cases",
            "file_format",
            "headers",
            "values",
            "daily_at",
            "active",
            "destination",
            "folder",
            "sftp_host",
            "sftp_port",
            "sftp_user",
            "sftp_directory",
            "sftp_key_name",
            "sftp_host_key",
        ]
        labels = {
            "name": _("Name"),
            "cases": _("Which cases"),
            "file_format": _("File format"),
            "active": _("Run every day"),
            "destination": _("Destination"),
            "folder": _("Folder"),
            "sftp_host": _("SFTP server"),
            "sftp_port": _("Port"),
            "sftp_user": _("User name"),
            "sftp_directory": _("Folder on the server"),
            "sftp_key_name": _("Private key name"),
            "sftp_host_key": _("Host key fingerprint"),
        }
        help_texts = {
            "folder": _("A folder under the hand-over folder of this server, such as kikan/jido."),
            "sftp_key_name": _(
                "The name of the key file the system administrator placed in the keys folder; "
                "the key itself is never entered here."
            ),
            "sftp_host_key": _(
                "As ssh-keygen -lf prints it, such as SHA256:abc… (the server is refused otherwise)."
            ),
        }

    def __init__(
        self, *args: Any, procedures: QuerySet[Procedure], municipality_id: int, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality_id = municipality_id
        procedure_field = self.fields["procedure"]
        assert isinstance(procedure_field, ProcedureChoice)
        procedure_field.queryset = procedures
        for name in ("folder", *SFTP_FIELDS):
            self.fields[name].required = False
        self.fields["sftp_port"].required = False
        if self.instance.pk is None:
            self.initial.setdefault("daily_at", "02:00")  # at night, after the day's decisions

    def clean_name(self) -> str:
        name: str = self.cleaned_data["name"].strip()
        others = HandoverTarget.objects.filter(municipality_id=self.municipality_id, name=name)
        if self.instance.pk:
            others = others.exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("Another target already has this name."))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("destination") == Destination.FOLDER:
            folder = (data.get("folder") or "").strip().strip("/")
            if not folder:
                self.add_error("folder", _("Enter the folder."))
            elif not FOLDER.match(folder) or ".." in folder.split("/"):
                self.add_error("folder", _("Use letters, digits, - _ . and / only, without .."))
            data["folder"] = folder
        elif data.get("destination") == Destination.SFTP:
            for name in SFTP_FIELDS:
                if not (data.get(name) or "").strip():
                    self.add_error(name, _("Enter this for an SFTP destination."))
            host = (data.get("sftp_host") or "").strip()
            if host and not HOST.match(host):
                self.add_error("sftp_host", _("Enter a host name or an IP address."))
            port = data.get("sftp_port") or 22
            if not 1 <= port <= 65535:
                self.add_error("sftp_port", _("Enter a port from 1 to 65535."))
            data["sftp_port"] = port
            directory = (data.get("sftp_directory") or "").strip()
            if directory and (not REMOTE_DIRECTORY.match(directory) or ".." in directory.split("/")):
                self.add_error("sftp_directory", _("Use letters, digits, - _ . and / only, without .."))
            key_name = (data.get("sftp_key_name") or "").strip()
            if key_name and not KEY_NAME.match(key_name):
                self.add_error("sftp_key_name", _("Use letters, digits, - _ and . only (a file name)."))
            fingerprint = (data.get("sftp_host_key") or "").strip()
            if fingerprint and not FINGERPRINT.match(fingerprint):
                self.add_error("sftp_host_key", _("Enter the fingerprint as SHA256: and 43 characters."))
        return data
