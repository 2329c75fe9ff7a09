"""The new-data counters, kept by the database: triggers on the finance tables add every
inserted row to its targets' ``TargetState.new_rows`` inside the writer's own statement
and transaction.

Why triggers and not an ``F()`` update from the ``post_save`` receiver: a counter
statement of its own is one more client–server round trip per row, more than the whole
per-row budget of the receivers (measured in ``benchmarks/signals/README.md``). A
trigger costs no round trip, commits or rolls back with the row whatever the writer does (a bare ``create()``, ``transaction.atomic()``, ``bulk_create``,
raw SQL, ``loaddata``) and cannot be bypassed by a bulk write. The ``post_save``
receivers (``forecasting/signals.py``) still announce each new row: they schedule the
debounced auto-learn check after commit.

What counts where (as ``forecasting.training.autolearn.targets_for_row`` says):

- a transaction → its kind (``revenue`` or ``expense``, forecasters) and each classifier:
  ``categorizer``, ``anomaly`` and ``fraud`` (the detectors learn from every row, as the
  categoriser does from the categorised ones; since migration
  ``forecasting.0007_count_new_rows_for_the_detectors``);
- a sale or a stock level → ``inventory`` (a forecaster).

A counter row is created by its first row of data (``INSERT … ON CONFLICT DO UPDATE``,
safe against a concurrent first writer). ``categorizer`` is taken first so that two
writers of one workspace queue on it instead of deadlocking on two counters taken in
opposite orders.

On PostgreSQL the trigger is statement-level: one grouped upsert per INSERT statement
over its transition table, so ``bulk_create`` counts a batch at once, and a statement of
one row (the common write) takes a short path with the row's values, which costs what a
row-level trigger does. A row-level trigger would update the same counter row once per
inserted row, and PostgreSQL's row versions make that quadratic within one transaction
(a large CSV import; ``benchmarks/signals/README.md``). SQLite has only row-level
triggers, which cost no more per row in bulk there. The triggers are installed by migration ``forecasting.0003``; a change
to them needs a new migration that calls :func:`counter_triggers_install` again.

Fixtures count too: ``loaddata`` inserts rows like any writer, so a ``dumpdata`` restore
must leave out ``forecasting.TargetState`` (the counters are rebuilt from the rows it
loads; a dumped counter row would collide with the one the trigger created). A
PostgreSQL ``pg_dump`` restore is unaffected: it creates triggers after loading the data.
"""

from __future__ import annotations

from typing import Any

from django.db import NotSupportedError

TARGET_STATE = "forecasting_targetstate"
COLUMNS = "(workspace_id, target, kind, new_rows, new_feedback, retrain_requested)"
#: table → (trigger, the counters each inserted row adds one to: (target, kind of model),
#: the target an SQL literal or ``{row}`` and a column of the row); ``categorizer`` first
TABLES = {
    "finance_transaction": ("forecasting_count_new_transactions",
                            (("'categorizer'", "categorizer"), ("'anomaly'", "anomaly"), ("'fraud'", "fraud"),
                             ("{row}kind", "forecaster"))),
    "finance_sale": ("forecasting_count_new_sales", (("'inventory'", "forecaster"),)),
    "finance_stocklevel": ("forecasting_count_new_stock_levels", (("'inventory'", "forecaster"),)),
}


def _postgresql(table: str, trigger: str, targets: tuple[tuple[str, str], ...]) -> list[str]:
    columns = [target.format(row="") for target, _ in targets if target.startswith("{row}")]
    single = ", ".join(f"(row_workspace, {target.format(row='row_')}, '{kind}', 1, 0, false)" for target, kind in targets)
    counted = " UNION ALL ".join(f"SELECT workspace_id, {target.format(row='')} AS target, '{kind}' AS kind FROM inserted"
                                 for target, kind in targets)
    upsert = f"INSERT INTO {TARGET_STATE} AS state {COLUMNS}"
    on_conflict = "ON CONFLICT (workspace_id, target) DO UPDATE SET new_rows = state.new_rows + EXCLUDED.new_rows"
    return [
        f"""CREATE OR REPLACE FUNCTION {trigger}() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    inserted_rows bigint; row_workspace bigint;{"".join(f" row_{column} text;" for column in columns)}
BEGIN
    SELECT count(*), min(workspace_id){"".join(f", min({column})" for column in columns)}
      INTO inserted_rows, row_workspace{"".join(f", row_{column}" for column in columns)} FROM inserted;
    IF inserted_rows = 1 THEN  -- the common write, without the grouping's cost
        {upsert} VALUES {single}
        {on_conflict};
    ELSIF inserted_rows > 1 THEN
        {upsert}
        SELECT workspace_id, target, kind, count(*), 0, false FROM ({counted}) AS counted
        GROUP BY workspace_id, target, kind
        ORDER BY workspace_id, target <> 'categorizer', target
        {on_conflict};
    END IF;
    RETURN NULL;
END $$""",
        f"CREATE TRIGGER {trigger} AFTER INSERT ON {table} REFERENCING NEW TABLE AS inserted "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {trigger}()",
    ]


def _sqlite(table: str, trigger: str, targets: tuple[tuple[str, str], ...]) -> list[str]:
    values = ", ".join(f"(NEW.workspace_id, {target.format(row='NEW.')}, '{kind}', 1, 0, 0)" for target, kind in targets)
    return [f"""CREATE TRIGGER {trigger} AFTER INSERT ON {table} BEGIN
    INSERT INTO {TARGET_STATE} {COLUMNS} VALUES {values}
    ON CONFLICT (workspace_id, target) DO UPDATE SET new_rows = new_rows + 1;
END"""]


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor not in ("postgresql", "sqlite"):
        raise NotSupportedError(f"Ledgerwise counts new data with triggers on PostgreSQL or SQLite, not {vendor}.")
    statements = []
    for table, (trigger, targets) in TABLES.items():
        if vendor == "postgresql":
            statements.append(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
            statements += _postgresql(table, trigger, targets) if create else [f"DROP FUNCTION IF EXISTS {trigger}()"]
        else:
            statements.append(f"DROP TRIGGER IF EXISTS {trigger}")
            statements += _sqlite(table, trigger, targets) if create else []
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
