"""The internet tier (IDX_ROLE=portal) cannot open a sealed 個人番号, and refuses to hold the key."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from idx.common import my_number
from tests.my_number.conftest import MY_NUMBER

SRC = str(Path(__file__).resolve().parents[2] / "src")
TEST_PUBLIC = "+ta8qTqYgx56mEphtR0rbc6bvMiuG30qYYBNeGel3Cw="
TEST_PRIVATE = "C1Bpm2UQxacelN31fjmfMYFUCju7weoBinPFjKmxEF4="


def _run(code: str, tmp_path, **env: str) -> subprocess.CompletedProcess[str]:
    keep = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**keep, "PYTHONPATH": SRC, "IDX_DATA_DIR": str(tmp_path), **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_settings_refuse_a_private_key_on_the_portal(tmp_path):
    code = "import django; django.setup()"
    for module in ("idx.settings.production", "idx.settings.dev"):
        result = _run(
            code,
            tmp_path,
            DJANGO_SETTINGS_MODULE=module,
            IDX_ROLE="portal",
            IDX_SECRET_KEY="x" * 64,
            IDX_MY_NUMBER_PUBLIC_KEY=TEST_PUBLIC,
            IDX_MY_NUMBER_PRIVATE_KEY=TEST_PRIVATE,
        )
        assert result.returncode != 0, module
        assert "ImproperlyConfigured" in result.stderr and "IDX_MY_NUMBER_PRIVATE_KEY" in result.stderr
        assert TEST_PRIVATE not in result.stderr
    key_file = tmp_path / "private.key"
    key_file.write_text(TEST_PRIVATE)
    result = _run(
        code,
        tmp_path,
        DJANGO_SETTINGS_MODULE="idx.settings.dev",
        IDX_ROLE="portal",
        IDX_MY_NUMBER_PUBLIC_KEY=TEST_PUBLIC,
        IDX_MY_NUMBER_PRIVATE_KEY_FILE=str(key_file),
    )
    assert result.returncode != 0 and "ImproperlyConfigured" in result.stderr


def test_portal_process_has_no_unseal_url_and_cannot_unseal(tmp_path):
    token = my_number.seal(MY_NUMBER, context="app-1")
    code = f"""
import django
django.setup()
from django.urls import Resolver404, resolve
from idx.common import my_number
try:
    resolve("/staff/cases/app-1/my-number/")
    print("mounted")
except Resolver404:
    print("not mounted")
print("can_unseal", my_number.can_unseal())
try:
    my_number.unseal({token!r}, context="app-1")
    print("opened")
except my_number.MyNumberUnavailable:
    print("unavailable")
print("sealing works", my_number.is_sealed_token(my_number.seal("123456789018", context="x")))
"""
    result = _run(code, tmp_path, DJANGO_SETTINGS_MODULE="idx.settings.test", IDX_ROLE="portal")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.split("\n")
    assert lines[:4] == ["not mounted", "can_unseal False", "unavailable", "sealing works True"]
    assert MY_NUMBER not in result.stdout + result.stderr


@pytest.mark.parametrize("role", ["portal"])
def test_unseal_refuses_in_the_portal_role_even_with_a_key(settings, role):
    token = my_number.seal(MY_NUMBER, context="app-1")
    settings.IDX_ROLE = role
    with pytest.raises(my_number.MyNumberUnavailable):
        my_number.unseal(token, context="app-1")
    settings.IDX_ROLE = "backoffice"
    assert my_number.unseal(token, context="app-1") == MY_NUMBER


def test_keygen_prints_a_working_pair(capsys):
    from django.core.management import call_command

    call_command("my_number_keygen")
    out = capsys.readouterr().out
    values = dict(line.split("=", 1) for line in out.strip().splitlines())
    assert set(values) == {"IDX_MY_NUMBER_PUBLIC_KEY", "IDX_MY_NUMBER_PRIVATE_KEY"}
    import base64

    from nacl.public import PrivateKey

    private = PrivateKey(base64.b64decode(values["IDX_MY_NUMBER_PRIVATE_KEY"]))
    assert base64.b64encode(bytes(private.public_key)).decode() == values["IDX_MY_NUMBER_PUBLIC_KEY"]


def test_demo_makes_its_key_pair_once_in_the_data_dir(settings, tmp_path):
    settings.IDX_MY_NUMBER_PUBLIC_KEY = ""
    settings.IDX_MY_NUMBER_PRIVATE_KEY = ""
    settings.IDX_ROLE = "all"
    settings.IDX_DEMO = True
    settings.IDX_MY_NUMBER_DEMO_KEY_FILE = tmp_path / "my-number-demo.key"
    token = my_number.seal(MY_NUMBER, context="demo")
    assert (tmp_path / "my-number-demo.key").exists()
    assert my_number.unseal(token, context="demo") == MY_NUMBER
    settings.IDX_DEMO = False  # production: no demo key, nothing to seal with
    with pytest.raises(my_number.MyNumberKeyMissing):
        my_number.seal(MY_NUMBER, context="demo")
