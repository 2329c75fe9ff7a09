"""Every new transaction also counts for the fraud and the anomaly detector, so that
auto-learning trains them as it trains the categoriser: the counting triggers are
installed again with their new targets (see forecasting/training/counters.py)."""

from django.db import migrations

from forecasting.training.counters import counter_triggers_install


def install(apps, schema_editor):
    counter_triggers_install(schema_editor.connection)


class Migration(migrations.Migration):

    dependencies = [
        ("forecasting", "0006_notification_channels"),
    ]

    # Backwards the triggers stay as they are: the detectors' two extra counters are harmless.
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
