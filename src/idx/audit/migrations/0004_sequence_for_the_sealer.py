"""Audit sealer: a chain position (sequence) per entry; the chain head counts positions, not ids."""

from django.db import migrations, models

# Not a rolling upgrade: a node of the previous release chains entries itself, under the head's old
# columns, which this release renames. Stop every node and worker, migrate, start the new release
# (docs/operations.md, "Upgrades without stopping").
CONTRACT = "the audit chain's head changes shape: upgrade with every node stopped"


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_existing_entries")]

    operations = [
        migrations.AddField(
            model_name="auditentry",
            name="sequence",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="previous_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.AlterField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(blank=True, default="", max_length=64),
        ),
        migrations.RenameField(model_name="auditchainhead", old_name="last_id", new_name="last_sequence"),
        migrations.RenameField(model_name="auditchainhead", old_name="anchor_id", new_name="anchor_sequence"),
        migrations.AddField(
            model_name="auditchainhead",
            name="sealed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
