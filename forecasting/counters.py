"""The new-data counters, kept by the database: triggers on the finance tables add every
inserted row to its targets' ``TargetState.new_rows`` inside the writer's own statement
and transaction.

Why triggers and not an ``F()`` update from the ``post_save`` receiver: on a PostgreSQL
that commits fast a row written by the ORM costs a few client–server round trips, and a
counter statement of its own is one more — +25 % per row for the bare statement, +43 to
+61 % with the receiver around it, against the < 20 % allowed (benchmarks/signals). A
trigger costs no round trip (+1 to +10 % measured), commits or rolls back with the row
whatever the writer does (a bare ``create()``, ``transaction.atomic()``, ``bulk_create``,
raw SQL, ``loaddata``), and counts a bulk import by its number of rows in one statement.
The ``post_save`` receivers (``forecasting/signals.py``) still announce each new row:
they schedule the debounced auto-learn check after commit.

What counts where (as ``forecasting.services.autolearn.targets_for_row`` says):

- a transaction → its kind (``revenue`` or ``expense``, forecasters) and ``categorizer``;
- a sale or a stock level → ``inventory`` (a forecaster).

A counter row is created by its first row of data (``INSERT … ON CONFLICT DO UPDATE``,
safe against a concurrent first writer). ``categorizer`` is locked first so that two
writers of one workspace queue on it instead of deadlocking on two counters taken in
opposite orders.

PostgreSQL runs one statement-level trigger per INSERT statement, grouping the inserted
rows (a transition table), so ``bulk_create`` of 100,000 rows is a handful of counter
updates; SQLite has only row-level triggers, which run inside the library, without a
round trip. The triggers are installed by migration ``forecasting.0003``; a change to
them needs a new migration that calls :func:`counter_triggers_install` again.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError

TARGET_STATE = "forecasting_targetstate"
COLUMNS = "(workspace_id, target, kind, new_rows, new_feedback, retrain_requested)"
#: table → (trigger name, PostgreSQL's rows of (workspace_id, target, kind) from the
#: transition table ``inserted``, SQLite's rows of the same from ``NEW``)
TABLES = {
    "finance_transaction": (
        "forecasting_count_new_transactions",
        "SELECT workspace_id, 'categorizer' AS target, 'categorizer' AS kind FROM inserted "
        "UNION ALL SELECT workspace_id, kind, 'forecaster' FROM inserted",
        "(NEW.workspace_id, 'categorizer', 'categorizer', 1, 0, 0), (NEW.workspace_id, NEW.kind, 'forecaster', 1, 0, 0)",
    ),
    "finance_sale": (
        "forecasting_count_new_sales",
        "SELECT workspace_id, 'inventory' AS target, 'forecaster' AS kind FROM inserted",
        "(NEW.workspace_id, 'inventory', 'forecaster', 1, 0, 0)",
    ),
    "finance_stocklevel": (
        "forecasting_count_new_stock_levels",
        "SELECT workspace_id, 'inventory' AS target, 'forecaster' AS kind FROM inserted",
        "(NEW.workspace_id, 'inventory', 'forecaster', 1, 0, 0)",
    ),
}


def _postgresql_create(table: str, trigger: str, rows: str) -> list[str]:
    return [
        f"""CREATE OR REPLACE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO {TARGET_STATE} AS state {COLUMNS}
    SELECT workspace_id, target, kind, count(*), 0, false FROM ({rows}) AS counted
    GROUP BY workspace_id, target, kind
    ORDER BY workspace_id, target <> 'categorizer', target
    ON CONFLICT (workspace_id, target) DO UPDATE SET new_rows = state.new_rows + EXCLUDED.new_rows;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER {trigger} AFTER INSERT ON {table} REFERENCING NEW TABLE AS inserted "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {trigger}()",
    ]


def _sqlite_create(table: str, trigger: str, values: str) -> list[str]:
    return [
        f"""CREATE TRIGGER {trigger} AFTER INSERT ON {table} BEGIN
    INSERT INTO {TARGET_STATE} {COLUMNS} VALUES {values}
    ON CONFLICT (workspace_id, target) DO UPDATE SET new_rows = new_rows + 1;
END""",
    ]


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor not in ("postgresql", "sqlite"):
        raise NotSupportedError(f"Ledgerwise counts new data with triggers on PostgreSQL or SQLite, not {vendor}.")
    statements = []
    for table, (trigger, pg_rows, sqlite_values) in TABLES.items():
        if vendor == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            statements += _postgresql_create(table, trigger, pg_rows) if create else [f"DROP FUNCTION IF EXISTS {trigger}()"]
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {trigger}")
            statements += _sqlite_create(table, trigger, sqlite_values) if create else []
    return statements


def counter_triggers_install(connection: Any) -> None:
    """(Re)create the counting triggers on ``connection``'s database (idempotent)."""
    statements = _statements(connection.vendor, create=True)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def counter_triggers_remove(connection: Any) -> None:
    """Drop them (the migration's reverse; the signals benchmark's *off* side)."""
    statements = _statements(connection.vendor, create=False)
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)
