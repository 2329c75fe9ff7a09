from typing import Any

from rest_framework import serializers

from coaching.models import BehavioralEvent
from finance.api.kit import WorkspaceOwnedSerializer

MAX_EVENT_DATA_BYTES = 16_384


class BehavioralEventSerializer(WorkspaceOwnedSerializer):
    timestamp = serializers.DateTimeField(required=False)

    class Meta:
        model = BehavioralEvent
        fields = [
            "id", "workspace", "user", "event_type", "data", "redacted_fields", "session_id",
            "timestamp", "created_at",
        ]
        read_only_fields = ["user", "redacted_fields", "created_at"]

    def validate_data(self, value: Any) -> Any:
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object.")
        if len(str(value)) > MAX_EVENT_DATA_BYTES:
            raise serializers.ValidationError(f"Must be under {MAX_EVENT_DATA_BYTES} characters.")
        return value
