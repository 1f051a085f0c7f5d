"""Hash-chain the audit entries written before the chain existed, per municipality in id order."""

from django.db import migrations

from idx.audit.chain import GENESIS_HASH, compute_entry_hash

BATCH = 1000


def chain_existing_entries(apps, schema_editor):
    AuditEntry = apps.get_model("audit", "AuditEntry")
    AuditChainHead = apps.get_model("audit", "AuditChainHead")
    municipality_ids = AuditEntry.objects.values_list("municipality_id", flat=True).distinct().order_by()
    for municipality_id in sorted(set(municipality_ids)):
        previous_hash, last_id = GENESIS_HASH, None
        while True:
            # Keyset pages, read in full before writing (SQLite cannot update under an open cursor).
            page = AuditEntry.objects.filter(municipality_id=municipality_id).order_by("id")
            batch = list((page if last_id is None else page.filter(id__gt=last_id))[:BATCH])
            if not batch:
                break
            for entry in batch:
                entry.previous_hash = previous_hash
                entry.entry_hash = compute_entry_hash(
                    municipality_id=entry.municipality_id,
                    actor_id=entry.actor_id,
                    action=entry.action,
                    target_type=entry.target_type,
                    target_id=entry.target_id,
                    before=entry.before,
                    after=entry.after,
                    created_at=entry.created_at,
                    previous_hash=previous_hash,
                )
                previous_hash, last_id = entry.entry_hash, entry.id
            AuditEntry.objects.bulk_update(batch, ["previous_hash", "entry_hash"])
        AuditChainHead.objects.update_or_create(
            municipality_id=municipality_id, defaults={"last_hash": previous_hash, "last_id": last_id}
        )


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_hash_chain")]

    operations = [migrations.RunPython(chain_existing_entries, migrations.RunPython.noop)]
