#!/usr/bin/env python
"""How long publishing a procedure version takes with a 200-question definition (target: ≤ 1 s).

    python bench/publishing.py --runs 20

Set-up (not timed): a SQLite database of its own under var/bench/, the demo municipality, and the
粗大ごみ収集の申込 procedure grown to ``--steps`` steps of ``--items`` questions each (text, yes/no,
choices, numbers; every fifth question shown only under a condition on the one before, with
``equals``, ``not_equals``, ``in`` or ``answered``), saved and published once.
Timed, ``--runs`` times each (every run changes one label, so every draft is new):

- ``save_draft``: ``procedure_version_save_draft`` (checks the definition, stores it);
- ``publish``: ``procedure_version_publish`` (checks again, retires the old version, audit entry);
- ``schedule`` and ``publish_due``: ``procedure_version_schedule`` then ``procedure_versions_publish_due``
  once the moment has come;
- ``withdraw``: ``procedure_version_withdraw`` (the previous version back);
- ``diff``: ``diff_definitions`` of the two definitions, in Japanese;
- ``publish page``: GET ``/staff/procedures/<code>/publish/`` (the diff and the form) and
  ``publish POST``: the confirmed POST that publishes, through the Django test client as the
  department's administrator.

p50/p95/max in milliseconds.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import re
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent

from _bench import percentile, setup_django  # noqa: E402


def _text(ja: str, en: str) -> dict[str, str]:
    return {"ja": ja, "ja-easy": ja, "en": en}


def grow(data: dict[str, Any], steps: int, items: int) -> dict[str, Any]:
    """``steps`` more steps of ``items`` optional questions each."""
    data = copy.deepcopy(data)
    properties = data["schema"]["properties"]
    conditions = ["equals", "not_equals", "in", "answered"]
    for step_index in range(steps):
        step_items: list[dict[str, Any]] = []
        for index in range(items):
            name = f"q{step_index}_{index}"
            kind = index % 4
            item: dict[str, Any]
            if kind == 0:
                properties[name] = {"type": "boolean"}
                item = {"field": name, "widget": "yes_no"}
            elif kind == 1:
                properties[name] = {"type": "string", "enum": ["a", "b", "c"]}
                item = {
                    "field": name,
                    "widget": "select",
                    "options": [
                        {"value": value, "label": _text(f"選択肢{value}", f"Choice {value}")}
                        for value in ("a", "b", "c")
                    ],
                }
            elif kind == 2:
                properties[name] = {"type": "integer", "minimum": 0, "maximum": 99}
                item = {"field": name, "widget": "number"}
            else:
                properties[name] = {"type": "string", "maxLength": 100}
                item = {"field": name, "widget": "text"}
            item["label"] = _text(f"質問{step_index}-{index}", f"Question {step_index}-{index}")
            if index % 5 == 4:
                previous = step_items[-1]
                operator = conditions[(index // 5) % 4]
                if previous["widget"] == "yes_no":
                    operand: Any = True
                elif previous["widget"] == "select":
                    operand = ["a", "b"] if operator == "in" else "a"
                elif previous["widget"] == "number":
                    operand = [1, 2] if operator == "in" else 1
                else:
                    operand = ["x"] if operator == "in" else "x"
                if operator == "in" and not isinstance(operand, list):
                    operand = [operand]
                item["when"] = {
                    "field": previous["field"],
                    operator: True if operator == "answered" else operand,
                }
            step_items.append(item)
        data["steps"].insert(
            -1,
            {
                "id": f"extra_{step_index}",
                "title": _text(f"追加の手順{step_index}", f"Extra {step_index}"),
                "items": step_items,
            },
        )
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    database = ROOT / "var" / "bench" / "publishing.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    if database.exists():
        database.unlink()
    setup_django(f"sqlite:///{database}")
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from django.test import Client
    from django.utils import timezone, translation

    from idx.demo.loader import MUNICIPALITIES, load_municipality
    from idx.identity.models import Department, Role, User
    from idx.procedures.diff import diff_definitions
    from idx.procedures.models import Procedure, ProcedureVersion
    from idx.procedures.services import (
        procedure_version_publish,
        procedure_version_save_draft,
        procedure_version_schedule,
        procedure_version_withdraw,
        procedure_versions_publish_due,
    )

    municipality, _accounts = load_municipality(MUNICIPALITIES[0])
    procedure = Procedure.objects.get(municipality=municipality, code="bulky-waste-collection")
    assert procedure.published_version is not None
    base = grow(dict(procedure.published_version.definition), args.steps, args.items)
    count = args.steps * args.items
    admin = User.objects.create_user(
        municipality=municipality,
        email="haikibutsu-admin@bench.example.jp",
        password="bench-password-1234",  # noqa: S106
        full_name="廃棄物対策課 管理者",
        role=Role.DEPARTMENT_ADMIN,
        department=Department.objects.get(municipality=municipality, code="haikibutsu"),
    )
    procedure_version_publish(
        version=procedure_version_save_draft(procedure=procedure, data=base, actor=admin), actor=admin
    )
    print(
        f"set-up: {len(base['steps'])} steps, {count} added questions ({len(base['schema']['properties'])} properties)"
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    client.cookies["idx_language"] = "ja"

    timings: dict[str, list[float]] = {}

    def timed(name: str, action: Callable[..., Any], **kwargs: Any) -> Any:
        start = time.perf_counter()
        result = action(**kwargs)
        timings.setdefault(name, []).append((time.perf_counter() - start) * 1000)
        return result

    def changed(run: int, part: str) -> dict[str, Any]:
        data = copy.deepcopy(base)
        data["steps"][1]["items"][0]["label"]["ja"] = f"質問（{part}{run}回目）"
        return data

    url = "/staff/procedures/bulky-waste-collection/publish/"
    for run in range(args.runs):
        procedure.refresh_from_db()
        draft = timed(
            "save_draft",
            procedure_version_save_draft,
            procedure=procedure,
            data=changed(run, "a"),
            actor=admin,
        )
        timed("publish", procedure_version_publish, version=draft, actor=admin)
        procedure.refresh_from_db()
        draft = procedure_version_save_draft(procedure=procedure, data=changed(run, "b"), actor=admin)
        moment = timezone.now() + dt.timedelta(seconds=30)
        timed("schedule", procedure_version_schedule, version=draft, publish_at=moment, actor=admin)
        published = timed("publish_due", procedure_versions_publish_due, now=moment)
        assert published == [draft.pk], published
        procedure.refresh_from_db()
        timed("withdraw", procedure_version_withdraw, procedure=procedure, actor=admin, reason="計測")
        procedure.refresh_from_db()
        assert procedure.published_version is not None
        with translation.override("ja"):
            timed("diff", diff_definitions, old=procedure.published_version.definition, new=changed(run, "c"))
        procedure_version_save_draft(procedure=procedure, data=changed(run, "c"), actor=admin)
        page = timed("publish page (GET)", client.get, path=url)
        assert page.status_code == 200, page.status_code
        checked = re.search(r'name="checked" value="([0-9a-f]+)"', page.content.decode())
        assert checked, "no publish form"
        form = {"when": "now", "confirm": "on", "checked": checked.group(1)}
        response = timed("publish POST", client.post, path=url, data=form)
        assert response.status_code == 302, response.status_code
    versions = ProcedureVersion.objects.filter(procedure=procedure).count()
    print(f"{versions} versions made")
    print(f"{'action':<22} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  runs")
    for name, values in timings.items():
        print(
            f"{name:<22} {percentile(values, 50):8.1f} {percentile(values, 95):8.1f} {max(values):8.1f}  {len(values)}"
        )


if __name__ == "__main__":
    main()
