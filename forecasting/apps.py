from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forecasting"
    verbose_name = "Forecasting and models"

    def ready(self) -> None:
        from forecasting import signals  # noqa: F401 - connects the receivers
