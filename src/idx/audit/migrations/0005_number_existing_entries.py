"""Give every existing (sealed) audit entry its chain position: 1, 2, 3, … per municipality in id order.

Until now the chain order was the id order (appends were serialized by the head lock), so the
positions follow the ids. A chain pruned before keeps its anchor hash and counts from 1 after it.
"""

from django.db import migrations

ENTRIES = "audit_auditentry"
HEADS = "audit_auditchainhead"


def number_existing_entries(apps, schema_editor):
    # One statement each (PostgreSQL and SQLite 3.33+ both have UPDATE … FROM and window functions):
    # a Python loop over millions of entries would take the upgrade's downtime.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {ENTRIES} SET sequence = ranked.chain_position FROM ("  # noqa: S608 - constant names
            f"SELECT id, ROW_NUMBER() OVER (PARTITION BY municipality_id ORDER BY id) AS chain_position "
            f"FROM {ENTRIES}) AS ranked WHERE {ENTRIES}.id = ranked.id"
        )
        cursor.execute(
            f"UPDATE {HEADS} SET anchor_sequence = 0, last_sequence = COALESCE("  # noqa: S608
            f"(SELECT MAX(sequence) FROM {ENTRIES} WHERE {ENTRIES}.municipality_id = {HEADS}.municipality_id), 0)"
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_sequence_for_the_sealer")]

    operations = [migrations.RunPython(number_existing_entries, migrations.RunPython.noop)]
