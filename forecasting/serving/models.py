"""What models answered (the prediction log) and what the world answered back
(feedback: actual outcomes, corrections, acceptances, fraud labels)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from finance.models import Transaction, Workspace


class Prediction(models.Model):
    """A logged prediction: which version answered what, so feedback can be tied to it.
    While a rollout is open every answer of its target names it, and a challenger's
    answer computed in shadow (never returned) is logged with ``shadow``."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="predictions")
    model_version = models.ForeignKey(
        "forecasting.ModelVersion", on_delete=models.SET_NULL, null=True, related_name="predictions"
    )
    target = models.CharField(max_length=100)
    request = models.JSONField(default=dict, blank=True)
    output = models.JSONField(default=dict, blank=True)
    from_cache = models.BooleanField(default=False)
    rollout = models.ForeignKey(
        "forecasting.Rollout", on_delete=models.SET_NULL, null=True, blank=True, related_name="predictions"
    )
    shadow = models.BooleanField(default=False, help_text="Computed in shadow: logged, not returned.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Prediction {self.id} for {self.target}"


class Feedback(models.Model):
    """An actual outcome or a user correction of a prediction."""

    class Kind(models.TextChoices):
        ACTUAL = "actual", "Actual outcome"
        CORRECTION = "correction", "Category correction"
        ACCEPTANCE = "acceptance", "Suggestion accepted"
        FRAUD_LABEL = "fraud_label", "Fraud label"
        RATING = "rating", "Rating"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="feedback")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    target = models.CharField(max_length=100, blank=True, default="")
    prediction = models.ForeignKey(
        Prediction, on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    model_version = models.ForeignKey(
        "forecasting.ModelVersion", on_delete=models.SET_NULL, null=True, blank=True, related_name="feedback"
    )
    transaction = models.ForeignKey(
        Transaction, on_delete=models.CASCADE, null=True, blank=True, related_name="ml_feedback"
    )
    predicted = models.JSONField(null=True, blank=True)
    actual = models.JSONField(null=True, blank=True)
    is_correct = models.BooleanField(null=True, blank=True)
    comment = models.CharField(max_length=500, blank=True, default="")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.target or self.model_version_id}"
