"""The new-data counters move from the ``post_save`` receivers into the database:
triggers on the finance tables bump ``TargetState.new_rows`` in the writer's own
statement (see forecasting/training/counters.py and benchmarks/signals)."""

from django.db import migrations

from forecasting.training.counters import counter_triggers_install, counter_triggers_remove


def install(apps, schema_editor):
    counter_triggers_install(schema_editor.connection)


def remove(apps, schema_editor):
    counter_triggers_remove(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("finance", "0002_transaction_ml_scores"),
        ("forecasting", "0002_feedback_acceptance"),
    ]

    operations = [migrations.RunPython(install, remove)]
