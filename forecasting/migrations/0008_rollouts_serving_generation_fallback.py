"""One source of truth for what serves (issue 17): the deployment generation of each
workspace, rollouts (canary and shadow) and the predictions they log, and the new
Deployment actions (automatic fallback, rollout start, promote, abort; the action column
grows to 20 characters for them). No existing row changes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('finance', '0003_warehouse_capacity_units'),
        ('forecasting', '0007_count_new_rows_for_the_detectors'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='ServingGeneration',
            fields=[
                ('workspace', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, primary_key=True, related_name='serving_generation', serialize=False, to='finance.workspace')),
                ('generation', models.PositiveBigIntegerField(default=0)),
                ('changed_at', models.DateTimeField(auto_now=True)),
            ],
        ),
        migrations.AddField(
            model_name='prediction',
            name='shadow',
            field=models.BooleanField(default=False, help_text='Computed in shadow: logged, not returned.'),
        ),
        migrations.AlterField(
            model_name='deployment',
            name='action',
            field=models.CharField(choices=[('deploy', 'Deploy'), ('rollback', 'Roll back'), ('auto_deploy', 'Automatic deploy (champion/challenger)'), ('auto_fallback', 'Automatic fallback (artifact failed its integrity check)'), ('rollout_start', 'Rollout started (canary or shadow)'), ('rollout_promote', 'Rollout promoted'), ('rollout_abort', 'Rollout ended without promotion')], max_length=20),
        ),
        migrations.CreateModel(
            name='Rollout',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('target', models.CharField(max_length=100)),
                ('frequency', models.CharField(blank=True, default='', max_length=1)),
                ('mode', models.CharField(choices=[('canary', 'Canary (a share of the answers)'), ('shadow', 'Shadow (computed and logged, never returned)')], max_length=6)),
                ('share', models.FloatField(help_text='Share of the request keys the challenger answers (canary) or shadows.')),
                ('status', models.CharField(choices=[('open', 'Open'), ('promoted', 'Promoted'), ('aborted', 'Aborted')], default='open', max_length=8)),
                ('reason', models.TextField(blank=True, default='')),
                ('end_reason', models.TextField(blank=True, default='')),
                ('started_at', models.DateTimeField(auto_now_add=True, db_index=True)),
                ('ended_at', models.DateTimeField(blank=True, null=True)),
                ('challenger', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='rollouts_as_challenger', to='forecasting.modelversion')),
                ('champion', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='rollouts_as_champion', to='forecasting.modelversion')),
                ('ended_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('started_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('workspace', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='rollouts', to='finance.workspace')),
            ],
            options={
                'ordering': ['-started_at', '-id'],
            },
        ),
        migrations.AddField(
            model_name='prediction',
            name='rollout',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='predictions', to='forecasting.rollout'),
        ),
        migrations.AddConstraint(
            model_name='rollout',
            constraint=models.UniqueConstraint(condition=models.Q(('status', 'open')), fields=('workspace', 'target', 'frequency'), name='one_open_rollout_per_target_frequency'),
        ),
        migrations.AddConstraint(
            model_name='rollout',
            constraint=models.CheckConstraint(condition=models.Q(('share__gt', 0), ('share__lte', 1)), name='rollout_share_in_0_1'),
        ),
    ]
