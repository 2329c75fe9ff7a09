import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("coaching", "0003_impression_slate"),
        ("finance", "0006_input_limits_amount_confirmation"),
    ]

    operations = [
        migrations.AddField(
            model_name="recommendationimpression",
            name="decision",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="What the strategy chose from: {'arms': {arm: [alpha, beta]} for every arm on offer, 'k': the slate size, 'params': the strategy's parameters} — offline evaluation replays it.",
            ),
        ),
        migrations.AddField(
            model_name="recommendationimpression",
            name="propensity",
            field=models.FloatField(
                blank=True,
                help_text="The probability the strategy had of putting this arm in the slate (its chance of being shown).",
                null=True,
            ),
        ),
        migrations.AddField(
            model_name="recommendationimpression",
            name="strategy",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The strategy that chose the slate (none before propensities were logged).",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="recommendationimpression",
            name="sampled_value",
            field=models.FloatField(
                blank=True,
                help_text="The score that ranked this arm: Thompson's draw, UCB1's index (none when infinite: an arm never answered), ε-greedy's posterior mean.",
                null=True,
            ),
        ),
        migrations.CreateModel(
            name="CoachingSettings",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "strategy",
                    models.CharField(
                        choices=[
                            ("thompson", "Thompson sampling"),
                            ("epsilon_greedy", "ε-greedy"),
                            ("ucb1", "UCB1"),
                        ],
                        default="thompson",
                        max_length=20,
                    ),
                ),
                (
                    "epsilon",
                    models.FloatField(
                        default=0.1,
                        help_text="ε-greedy only: the chance that a slate is drawn at random (exploration).",
                        validators=[
                            django.core.validators.MinValueValidator(0.0),
                            django.core.validators.MaxValueValidator(1.0),
                        ],
                    ),
                ),
                ("updated_at", models.DateTimeField(auto_now=True)),
                (
                    "workspace",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="coaching_settings",
                        to="finance.workspace",
                    ),
                ),
            ],
            options={
                "verbose_name": "coaching settings",
                "verbose_name_plural": "coaching settings",
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("epsilon__gte", 0), ("epsilon__lte", 1)),
                        name="coaching_settings_epsilon_0_1",
                    )
                ],
            },
        ),
    ]
