"""The new-data counting triggers, installed again on the finance tables.

On SQLite a migration that rebuilds a table (finance 0011 made ``transaction.account``
required; finance 0008 added ``import_key`` with a default) drops the table's triggers
with the old table, so new transactions stopped counting after such an upgrade.
:func:`counter_triggers_install` is idempotent: on PostgreSQL, whose ALTER TABLE keeps
triggers, it replaces them with the same ones."""

from django.db import migrations

from forecasting.training.counters import counter_triggers_install


def install(apps, schema_editor):
    counter_triggers_install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0011_accounts"),
        ("forecasting", "0016_model_kind_stockout"),
    ]

    # Backwards the triggers stay: they count the same rows.
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
