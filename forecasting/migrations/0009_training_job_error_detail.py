# A failed job's traceback moves out of ``error`` (read by members through the API) into the
# staff-only ``error_detail``; ``error`` keeps the first line without file paths.

import re

from django.db import migrations, models

_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[\\/][\w.\-]+){2,}[\\/]?")


def tracebacks_to_detail(apps, schema_editor):
    TrainingJob = apps.get_model("forecasting", "TrainingJob")
    for job in TrainingJob.objects.filter(error__contains="\n").only("pk", "error").iterator():
        first = job.error.strip().splitlines()[0] if job.error.strip() else ""
        TrainingJob.objects.filter(pk=job.pk).update(error=_PATH.sub("…", first)[:300], error_detail=job.error)


class Migration(migrations.Migration):

    dependencies = [
        ('forecasting', '0008_rollouts_serving_generation_fallback'),
    ]

    operations = [
        migrations.AddField(
            model_name='trainingjob',
            name='error_detail',
            field=models.TextField(blank=True, default='', help_text='The traceback of a failure: staff only (admin and logs), never the API.'),
        ),
        migrations.AlterField(
            model_name='trainingjob',
            name='error',
            field=models.TextField(blank=True, default='', help_text="Why it failed, in one line for the workspace's members."),
        ),
        migrations.RunPython(tracebacks_to_detail, migrations.RunPython.noop),
    ]
