"""A refusal of a domain on a page becomes an error of its form: on the field it names, else on
the fallback field, else on the whole form, and so in the error summary at the top."""

from __future__ import annotations

from django import forms

from idx.common.errors import DomainError
from idx.web.errors import form_add_domain_error
from idx.web.summary import summary_from_form


class _NameForm(forms.Form):
    name = forms.CharField(label="名前")
    note = forms.CharField(label="メモ", required=False)


def _bound() -> _NameForm:
    form = _NameForm({"name": "x", "note": ""})
    assert form.is_valid()
    return form


def test_the_error_lands_on_the_field_it_names_and_in_the_summary():
    form = _bound()
    form_add_domain_error(form, DomainError(code="taken", field="name", message="この名前は使われています。"))
    assert form.errors["name"] == ["この名前は使われています。"]
    summary = summary_from_form(form)
    assert [(item.html_id, item.message) for item in summary] == [
        ("id_name", "名前: この名前は使われています。")
    ]


def test_an_unknown_field_falls_back_then_goes_to_the_whole_form():
    form = _bound()
    form_add_domain_error(
        form, DomainError(code="x", field="user", message="だめです。"), fallback_field="note"
    )
    assert form.errors["note"] == ["だめです。"]
    form = _bound()
    form_add_domain_error(form, DomainError(code="x", message="だめです。"))
    assert form.non_field_errors() == ["だめです。"]


def test_the_page_may_word_the_message_itself():
    form = _bound()
    form_add_domain_error(form, DomainError("internal", field="name"), message="別の言い方")
    assert form.errors["name"] == ["別の言い方"]
