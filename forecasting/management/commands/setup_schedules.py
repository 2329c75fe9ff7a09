from django.core.management.base import BaseCommand, CommandError

from forecasting.training.schedules import schedules_install


class Command(BaseCommand):
    help = "Install the declared periodic schedules (weekly retrain, daily sweeps) into celery-beat's tables."

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        try:
            results = schedules_install()
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        for name, created in results:
            self.stdout.write(f"{'created' if created else 'updated'}: {name}")
