"""Behavioural data the coaching models learn from."""

from django.conf import settings
from django.db import models

from finance.models import Workspace


class BehavioralEvent(models.Model):
    """Something a user did (viewed a page, acted on a recommendation, changed a goal…).

    ``data`` has passed :func:`coaching.privacy.privacy_filter` before it is stored.
    """

    class Type(models.TextChoices):
        PAGE_VIEW = "page_view", "Page view"
        RECOMMENDATION_INTERACTION = "recommendation_interaction", "Recommendation interaction"
        PURCHASE = "purchase", "Purchase"
        GOAL_MODIFICATION = "goal_modification", "Goal modification"
        SEARCH = "search", "Search"
        FILTER = "filter", "Filter use"
        BUDGET_CHECK = "budget_check", "Budget check"
        LOGIN = "login", "Login"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="events")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="behavioral_events"
    )
    event_type = models.CharField(max_length=32, choices=Type.choices)
    data = models.JSONField(default=dict, blank=True)
    redacted_fields = models.PositiveSmallIntegerField(
        default=0, help_text="How many values the privacy filter removed before storage."
    )
    session_id = models.CharField(max_length=64, blank=True, default="")
    timestamp = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-timestamp", "-id"]
        indexes = [
            models.Index(fields=["user", "event_type", "timestamp"], name="event_user_type_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.get_event_type_display()} at {self.timestamp:%Y-%m-%d %H:%M}"
