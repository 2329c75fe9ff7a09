# The history of each goal's saved amount, for the Goals page's chart. Existing goals get
# no made-up history: their chart starts with the saved amount of the day it is drawn.

import decimal

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0003_warehouse_capacity_units'),
    ]

    operations = [
        migrations.CreateModel(
            name='GoalProgress',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('date', models.DateField()),
                ('saved_amount', models.DecimalField(decimal_places=2, max_digits=14, validators=[django.core.validators.MinValueValidator(decimal.Decimal('0'))])),
                ('goal', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='history', to='finance.goal')),
                ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='finance.workspace')),
            ],
            options={
                'verbose_name_plural': 'goal progress',
                'ordering': ['goal', 'date'],
                'constraints': [models.UniqueConstraint(fields=('goal', 'date'), name='unique_goal_progress_day'), models.CheckConstraint(condition=models.Q(('saved_amount__gte', 0)), name='goal_progress_non_negative')],
            },
        ),
    ]
