"""The OpenAPI schema's shared parts (``DEFAULT_SCHEMA_CLASS``): the error body and the
AutoSchema that documents every operation's error answers.

It imports no app, so that the apps' serializers can use :class:`ErrorSerializer`."""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import SAFE_METHODS, AllowAny


class ErrorSerializer(serializers.Serializer):
    """An error answer: what went wrong, for a person to read."""

    detail = serializers.CharField()


#: 400's body: each field in error with its messages (nested for nested input), or
#: ``non_field_errors`` / ``detail`` for the request as a whole.
VALIDATION_ERRORS_SCHEMA = {
    "type": "object",
    "description": "Field name → its messages (a list of strings, or an object for nested input); "
                   "`non_field_errors` or `detail` for the request as a whole.",
    "additionalProperties": {},
}
_RETRY_AFTER = {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds to wait before trying again (when the server knows)."}}
ERROR_DESCRIPTIONS = {
    400: "Invalid input; the body names each field in error.",
    401: "No credentials, or invalid ones (send `Authorization: Token <key>`).",
    403: "Your role in the workspace does not allow this.",
    404: "No such object in your workspaces (another workspace's objects, and pages past the last, are 404).",
    409: "The object's state refuses the request.",
    415: "The body's Content-Type is not one this operation reads.",
    429: "Too many requests; `Retry-After` says when to try again.",
    503: "A service this request needs (the task queue, a model) is unavailable; try again after `Retry-After`.",
}


class LedgerwiseAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus the error answers every operation can give, from
    what the operation is (``DEFAULT_SCHEMA_CLASS``): 400 where it takes input (a body or
    query parameters), 401 unless anonymous access is allowed, 403 where it writes, 404
    where it looks an object or a workspace up or pages a list, 415 where it reads a body,
    429 where it is throttled. A view's own ``extend_schema`` responses win; an error it
    names without a body gets the error body. 503 and 409 are the views' own to declare."""

    def get_operation(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return operation
        responses = operation["responses"]
        for code in self._error_codes(operation):
            responses.setdefault(str(code), {"description": ERROR_DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code >= "400":
                self._error_body(int(code), response)
        return operation

    def _error_codes(self, operation: dict) -> set[int]:
        codes = set()
        query = [p for p in operation.get("parameters", []) if p.get("in") == "query"]
        body = "requestBody" in operation
        if body or query:
            codes.add(400)
        if body:
            codes.add(415)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes.add(401)
            if self.method not in SAFE_METHODS:
                codes.add(403)
        if "{" in self.path or (self.method == "GET" and self._is_list_view()) or self._looks_up_workspace(query, body):
            codes.add(404)
        if self.view.get_throttles():
            codes.add(429)
        return codes

    def _looks_up_workspace(self, query: list[dict], body: bool) -> bool:
        """A ``workspace`` id in the query, or a plain (not related-field) one in the body:
        the view looks it up among the user's workspaces (404 for any other)."""
        if any(p["name"] == "workspace" for p in query):
            return True
        serializer = self.get_request_serializer() if body else None
        field = getattr(force_instance(serializer), "fields", {}).get("workspace") if serializer else None
        return field is not None and not isinstance(field, serializers.RelatedField)

    def _error_body(self, code: int, response: dict) -> None:
        if code in (429, 503):
            response.setdefault("headers", {}).update(_RETRY_AFTER)
        if "content" in response:
            return
        if code == 400:
            schema = VALIDATION_ERRORS_SCHEMA
        else:
            schema = self.resolve_serializer(ErrorSerializer, "response").ref
        response["content"] = {"application/json": {"schema": schema}}


#: The answer of an operation that queues work while the task queue cannot be reached
#: (config/broker.py): for the ``extend_schema`` of every such operation.
BROKER_UNAVAILABLE_RESPONSE = OpenApiResponse(
    ErrorSerializer, description="The task queue cannot be reached; nothing was queued. Try again after `Retry-After`.",
)
