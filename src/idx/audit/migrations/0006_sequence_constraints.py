"""One entry per chain position, an index of the unsealed entries, and head positions never NULL."""

from django.db import migrations, models

# Not a rolling upgrade: a node of the previous release chains entries itself, under the head's old
# columns, which this release renames. Stop every node and worker, migrate, start the new release
# (docs/operations.md, "Upgrades without stopping").
CONTRACT = "the audit chain's head changes shape: upgrade with every node stopped"


class Migration(migrations.Migration):
    dependencies = [("audit", "0005_number_existing_entries")]

    operations = [
        migrations.AlterField(
            model_name="auditchainhead",
            name="last_sequence",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="auditchainhead",
            name="anchor_sequence",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AddIndex(
            model_name="auditentry",
            index=models.Index(
                condition=models.Q(("sequence__isnull", True)),
                fields=["municipality", "id"],
                name="audit_unsealed_idx",
            ),
        ),
        migrations.AddConstraint(
            model_name="auditentry",
            constraint=models.UniqueConstraint(fields=("municipality", "sequence"), name="audit_sequence_unique"),
        ),
    ]
