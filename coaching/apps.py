from django.apps import AppConfig


class CoachingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "coaching"
    verbose_name = "Coaching"

    def ready(self) -> None:
        from coaching import cache_receivers, signals  # noqa: F401  (the receivers)
        from coaching.behaviour import receivers  # noqa: F401  (the write events and the buffer's flush)
