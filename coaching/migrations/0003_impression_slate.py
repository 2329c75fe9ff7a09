from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("coaching", "0002_segments_bandit_impressions"),
    ]

    operations = [
        migrations.AddField(
            model_name="recommendationimpression",
            name="slate",
            field=models.UUIDField(
                blank=True, db_index=True, help_text="The recommendations drawn together for one showing.", null=True
            ),
        ),
    ]
