from django.apps import AppConfig


class ForecastingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "forecasting"
    verbose_name = "Forecasting and models"

    def ready(self) -> None:
        # Connects the receivers: finance's rows → auto-learning and scoring, and each
        # feature's listeners to the features below it (registry → classifiers;
        # artifacts → monitoring; feedback → training). Serving needs none: it reads the
        # deployment generation on every request (serving/deployed.py).
        from forecasting import signals  # noqa: F401
        from forecasting.classifiers import receivers as _classifiers  # noqa: F401
        from forecasting.inventory.stockout_learning import stockout_classifier_register
        from forecasting.monitoring import receivers as _monitoring  # noqa: F401
        from forecasting.pages import panels as _panels  # noqa: F401 - registers the finance page panels
        from forecasting.registry import audit as _audit  # noqa: F401 - records every version deletion
        from forecasting.training import receivers as _training  # noqa: F401

        stockout_classifier_register()  # inventory's classifier, trained through the classifiers' jobs
