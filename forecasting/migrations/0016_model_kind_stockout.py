# The learned stockout classifier (issue 18): a model kind of its own.

from django.db import migrations, models

KINDS = [
    ("forecaster", "Forecaster"),
    ("categorizer", "Transaction categoriser"),
    ("fraud", "Fraud detector"),
    ("anomaly", "Anomaly detector"),
    ("stockout", "Stockout classifier"),
]


class Migration(migrations.Migration):

    dependencies = [
        ("forecasting", "0015_stock_plan_scenarios"),
    ]

    operations = [
        migrations.AlterField(
            model_name=model_name, name="kind",
            field=models.CharField(choices=KINDS, default="forecaster", max_length=12),
        )
        for model_name in ("modelversion", "modelversiondeletion", "targetstate", "trainingjob")
    ]
