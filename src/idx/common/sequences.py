"""Yearly numbers per municipality (受付番号, 領収番号): one UPDATE … RETURNING per number.

The statement both takes the row lock and reads the number (PostgreSQL and SQLite 3.35+), so the
lock every caller of the municipality waits for is held only as long as the enclosing
transaction, and costs one round trip. The model needs ``municipality``, ``year`` and
``last_number`` with a unique (municipality, year).
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction


def next_yearly_number(model: Any, municipality_id: int, year: int) -> int:
    table = model._meta.db_table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last_number = last_number + 1 "  # noqa: S608 - table name from the model
                "WHERE municipality_id = %s AND year = %s RETURNING last_number",
                [municipality_id, year],
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        # First number of the year: create the row (a concurrent creator wins harmlessly).
        with transaction.atomic():
            model.objects.get_or_create(municipality_id=municipality_id, year=year)
    raise RuntimeError(f"{table}: sequence row could not be created")
