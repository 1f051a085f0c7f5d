#!/usr/bin/env python
"""How fast the procedure builder answers on a large form: 10 steps × 20 questions, with conditions and a repeat.

    python bench/builder.py --runs 30

Set-up (not timed): a SQLite database of its own under var/bench/, the demo municipality, and the
粗大ごみ収集の申込 procedure grown through the builder's own operations to ``--steps`` steps of
``--items`` questions each (yes/no questions, choices, dates, amounts, names; every fifth question
depends on the one before; step 2 holds a repeated group of three questions), saved as its draft.
Timed, each through the Django test client as the department's administrator, ``--runs`` times:
overview page, add page, add (POST), item editor page, edit save (POST), move down (POST),
duplicate (POST), delete (POST), phone preview, the やさしい日本語 check and the problem check
(``builder.check``, in process). p50/p95/max in milliseconds.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
ROOT = Path(__file__).resolve().parent.parent

from _bench import percentile, setup_django  # noqa: E402

TYPES = ["yes_no", "radio", "date", "amount", "name", "text", "select", "phone", "address", "count"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()

    database = ROOT / "var" / "bench" / "builder.sqlite3"
    database.parent.mkdir(parents=True, exist_ok=True)
    if database.exists():
        database.unlink()
    setup_django(f"sqlite:///{database}")
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    from django.test import Client

    from idx.demo.loader import MUNICIPALITIES, load_municipality
    from idx.identity.models import Department, Role, User
    from idx.procedures import builder
    from idx.procedures.models import Procedure
    from idx.procedures.services import procedure_version_save_draft

    municipality, _accounts = load_municipality(MUNICIPALITIES[0])
    procedure = Procedure.objects.get(municipality=municipality, code="bulky-waste-collection")
    data = dict(procedure.published_version.definition)
    data, _path = builder.add_item(
        data, item_type="repeat", step_id="items", label={"ja": "子ども", "en": "Children"}, required=True
    )
    for label in ("Child name", "Child birth date", "Child school"):
        data, _path = builder.add_item(
            data, item_type="text", step_id="items", group="children", label={"ja": label, "en": label}
        )
    number = 0
    while len(data["steps"]) < args.steps:
        data, _id = builder.add_step(
            data,
            title={
                "ja": f"追加のステップ{len(data['steps']) + 1}",
                "en": f"Extra step {len(data['steps']) + 1}",
            },
            item_type="yes_no",
            item_label={"ja": "確認しましたか", "en": f"Checked {len(data['steps'])}"},
        )
    previous = ""
    for step in list(data["steps"]):
        while len(step_items(data, step["id"])) < args.items:
            number += 1
            kind = TYPES[number % len(TYPES)]
            data, path = builder.add_item(
                data,
                item_type=kind,
                step_id=step["id"],
                label={"ja": f"質問{number}", "ja-easy": f"しつもん{number}", "en": f"Question {number}"},
                required=number % 3 == 0,
            )
            if number % 5 == 0 and previous:
                values = builder.item_values(data, path)
                values.when = {"field": previous, "answered": True}
                data, path = builder.update_item(data, path, values)
            previous = path
    data = builder.regenerate_example(data)
    count = sum(1 for _place in builder.iter_places(data))
    department = Department.objects.get(municipality=municipality, code="haikibutsu")
    admin = User.objects.create(
        municipality=municipality,
        email="bench-builder@staff.iga.example.jp",
        full_name="ベンチ 管理者",
        department=department,
        role=Role.DEPARTMENT_ADMIN,
    )
    procedure_version_save_draft(procedure=procedure, data=data, actor=admin)
    print(f"set-up: {len(data['steps'])} steps, {count} questions")

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(admin)
    base = "/staff/procedures/bulky-waste-collection/builder/"
    items = data["steps"][5]["items"]
    target = next(  # a question that moves freely: no condition on it, the next one or the one after
        items[index]["field"]
        for index in range(5, len(items) - 2)
        if not any(items[index + offset].get("when") for offset in (0, 1, 2))
    )

    def get(path: str) -> Callable[[], None]:
        def run() -> None:
            response = client.get(path)
            assert response.status_code == 200, (path, response.status_code)

        return run

    def post(path: str, body: dict[str, str], after: Callable[[], None] | None = None) -> Callable[[], None]:
        def run() -> None:
            response = client.post(path, body)
            assert response.status_code == 302, (path, response.status_code, response.content[:3000])
            if after is not None:
                after()

        return run

    added: list[str] = []

    def remember_added() -> None:
        added.append(current(procedure)["steps"][9]["items"][-1]["field"])

    def delete_added() -> Callable[[], None]:
        def run() -> None:
            response = client.post(f"{base}items/{added.pop()}/delete/")
            assert response.status_code == 302, response.content[:3000]

        return run

    values = builder.item_values(data, target)
    edit_body = {
        "label_ja": values.label["ja"],
        "label_ja_easy": values.label.get("ja-easy", ""),
        "label_en": values.label["en"],
        "field": values.field,
        "required": "on" if values.required else "",
    }
    last_step = data["steps"][9]["id"]
    actions: list[tuple[str, Callable[[], None]]] = [
        ("overview", get(base)),
        ("add page", get(f"{base}add/?step={last_step}")),
        (
            "add (POST)",
            post(
                f"{base}add/",
                {"step": last_step, "item_type": "date", "label_ja": "追加の日付", "label_en": "Added date"},
                remember_added,
            ),
        ),
        ("item editor page", get(f"{base}items/{target}/")),
        ("edit save (POST)", post(f"{base}items/{target}/", edit_body)),
        ("move down (POST)", post(f"{base}action/", {"action": "down", "path": target})),
        ("move back up (POST)", post(f"{base}action/", {"action": "up", "path": target})),
        ("duplicate (POST)", post(f"{base}action/", {"action": "duplicate", "path": target}, None)),
        ("delete (POST)", delete_added()),
        ("preview", get(f"{base}preview/?step=6")),
        ("easy-Japanese check", get(f"{base}easy-japanese/?text=" + "ごみを出す日を選んでください。" * 3)),
        ("problems (builder.check)", lambda: builder.check(current(procedure))),
    ]
    timings: dict[str, list[float]] = {name: [] for name, _run in actions}
    for _round in range(args.runs):
        for name, run in actions:
            if name == "delete (POST)" and not added:
                continue
            started = time.perf_counter()
            run()
            timings[name].append((time.perf_counter() - started) * 1000)
    print(f"{'action':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  runs")
    for name, values_ in timings.items():
        print(
            f"{name:<28} {percentile(values_, 50):8.1f} {percentile(values_, 95):8.1f} {max(values_):8.1f}  {len(values_)}"
        )


def step_items(data: dict, step_id: str) -> list[dict]:
    return next(step for step in data["steps"] if step["id"] == step_id)["items"]


def current(procedure) -> dict:  # type: ignore[no-untyped-def]
    version = procedure.versions.filter(status="draft").order_by("-number").first()
    return dict(version.definition)


if __name__ == "__main__":
    main()
