"""Every new migration can run while nodes of the previous release still serve (docs/operations.md,
"Upgrades without stopping: expand, then contract").

During a rolling upgrade the database is migrated first and the nodes are replaced one by one, so
the previous release's code must keep working on the migrated schema. A migration that renames or
drops something, or adds a column the old code cannot fill, breaks it. Such a step belongs in a
later "contract" release and says so with a module-level ``CONTRACT = "why it is safe now"``.

Migrations up to ``GRANDFATHERED`` were written before this rule and ran on every installation
already; they are not checked.
"""

from __future__ import annotations

import pytest
from django.db import migrations
from django.db.migrations.loader import MigrationLoader
from django.db.models import NOT_PROVIDED

# The last migration of each app when the rule was introduced.
GRANDFATHERED = {
    "applications": "0008",
    "assist": "0005",
    "audit": "0003",
    "booking": "0003",
    "checks": "0001",
    "common": "0002",
    "demo_idp": "0002",
    "demo_line": "0001",
    "demo_pay": "0001",
    "dxplan": "0001",
    "events": "0001",
    "handover": "0001",
    "identity": "0008",
    "imports": "0001",
    "insights": "0002",
    "intake": "0003",
    "notifications": "0005",
    "opendata": "0003",
    "participation": "0003",
    "payments": "0003",
    "procedures": "0002",
    "public_comment": "0001",
    "surveys": "0002",
}

# Old code would still use the old name, or the dropped thing.
ONLY_IN_CONTRACT = (
    migrations.RenameField,
    migrations.RenameModel,
    migrations.RemoveField,
    migrations.DeleteModel,
    migrations.AlterModelTable,
)


def _new_migrations(loader: MigrationLoader) -> list[tuple[str, str]]:
    keys = []
    for app_label, name in loader.disk_migrations:
        if not name[:4].isdigit():
            continue
        baseline = GRANDFATHERED.get(app_label)
        if app_label in GRANDFATHERED and baseline is not None and name[:4] <= baseline:
            continue
        keys.append((app_label, name))
    return sorted(keys)


def _problems(loader: MigrationLoader, key: tuple[str, str]) -> list[str]:
    migration = loader.disk_migrations[key]
    module = __import__(migration.__module__, fromlist=["CONTRACT"])
    if getattr(module, "CONTRACT", ""):
        return []
    state = loader.project_state(key, at_end=False)
    problems = []
    for operation in migration.operations:
        if isinstance(operation, ONLY_IN_CONTRACT):
            problems.append(f"{type(operation).__name__} belongs in a contract release")
        elif isinstance(operation, migrations.AddField):
            field = operation.field
            fills_itself = field.null or field.many_to_many or field.db_default is not NOT_PROVIDED
            if not fills_itself:
                problems.append(
                    f"AddField {operation.model_name}.{operation.name} is NOT NULL without db_default: "
                    "the previous release's inserts would fail (make it nullable or give it db_default)"
                )
        elif isinstance(operation, migrations.AlterField):
            model_state = state.models.get((key[0], operation.model_name_lower))
            before = model_state.fields.get(operation.name) if model_state is not None else None
            if before is not None and before.null and not operation.field.null:
                problems.append(
                    f"AlterField {operation.model_name}.{operation.name} to NOT NULL belongs in a contract"
                )
    return problems


def test_every_baseline_names_an_app_with_migrations() -> None:
    # A new app starts with its 0001 checked and needs no entry; a typo in the table would hide one.
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert set(GRANDFATHERED) <= {app for app, _ in loader.disk_migrations if _is_idx_app(app)}


def _is_idx_app(label: str) -> bool:
    from django.apps import apps

    return apps.get_app_config(label).name.startswith("idx.")


@pytest.mark.django_db
def test_new_migrations_keep_the_previous_release_working() -> None:
    loader = MigrationLoader(None, ignore_no_migrations=True)
    found = {}
    for key in _new_migrations(loader):
        if not _is_idx_app(key[0]):
            continue
        problems = _problems(loader, key)
        if problems:
            found[f"{key[0]}.{key[1]}"] = problems
    assert found == {}


def test_the_check_refuses_a_rename_and_a_not_null_column() -> None:
    from django.db import models

    class Migration(migrations.Migration):
        operations = [
            migrations.RenameField("thing", "old", "new"),
            migrations.AddField("thing", "size", models.IntegerField(default=0)),
            migrations.AddField("thing", "note", models.TextField(null=True)),
            migrations.AddField("thing", "kind", models.CharField(max_length=5, db_default="a")),
        ]

    class FakeLoader:
        disk_migrations = {("idxtest", "0002_x"): Migration("0002_x", "idxtest")}

        def project_state(self, key, at_end):  # noqa: ANN001, ANN201 - the loader's signature
            from django.db.migrations.state import ProjectState

            return ProjectState()

    Migration.__module__ = __name__
    problems = _problems(FakeLoader(), ("idxtest", "0002_x"))  # type: ignore[arg-type]
    assert len(problems) == 2
    assert problems[0].startswith("RenameField")
    assert "size" in problems[1]
