"""One deployed model per (workspace, target, frequency) instead of per (workspace, target):
a forecaster target can serve a monthly and a weekly model side by side.

Forecaster versions saved without a frequency were monthly (every reader took a blank
frequency as monthly); they get ``M`` so that serving can ask for the deployed monthly
version by its frequency. No row is deleted or otherwise changed. Reversing keeps, of a
target deployed at several frequencies, the monthly model deployed (else weekly, else
daily) and retires the others, as the old constraint needs.
"""

from django.db import migrations, models

MONTHLY = "M"
PREFERENCE = ("M", "W", "D", "")


def blank_forecaster_frequencies_to_monthly(apps, schema_editor):
    ModelVersion = apps.get_model("forecasting", "ModelVersion")
    ModelVersion.objects.filter(kind="forecaster", frequency="").update(frequency=MONTHLY)


def retire_all_but_one_deployed_per_target(apps, schema_editor):
    ModelVersion = apps.get_model("forecasting", "ModelVersion")
    kept: dict[tuple[int, str], int] = {}
    retired = []
    deployed = ModelVersion.objects.filter(status="deployed").values_list("pk", "workspace_id", "target", "frequency")
    rank = {code: i for i, code in enumerate(PREFERENCE)}
    for pk, workspace_id, target, _ in sorted(deployed, key=lambda row: (row[1], row[2], rank.get(row[3], 9), row[0])):
        if (workspace_id, target) in kept:
            retired.append(pk)
        else:
            kept[(workspace_id, target)] = pk
    ModelVersion.objects.filter(pk__in=retired).update(status="retired")


class Migration(migrations.Migration):

    dependencies = [
        ("forecasting", "0004_stockplan_stockplanline"),
    ]

    operations = [
        migrations.RunPython(blank_forecaster_frequencies_to_monthly, migrations.RunPython.noop),
        migrations.RemoveConstraint(
            model_name="modelversion",
            name="one_deployed_version_per_target",
        ),
        migrations.AlterField(
            model_name="modelversion",
            name="frequency",
            field=models.CharField(
                blank=True, default="", help_text="D, W or M for a forecaster; blank for a classifier.", max_length=1
            ),
        ),
        migrations.AddConstraint(
            model_name="modelversion",
            constraint=models.UniqueConstraint(
                condition=models.Q(("status", "deployed")),
                fields=("workspace", "target", "frequency"),
                name="one_deployed_version_per_target_frequency",
            ),
        ),
        migrations.RunPython(migrations.RunPython.noop, retire_all_but_one_deployed_per_target),
    ]
