"""Logging in: the API token endpoint and the lockout's answer.

* :class:`AuthTokenView` is ``POST /api/v1/auth/token/``: it authenticates through
  Django's ``authenticate()`` with the request, so django-axes counts its failures and
  refuses a locked-out client the same way as the login page and the admin's.
* :func:`lockout_response` is axes' answer once a client is locked out: JSON for the API,
  the lockout page otherwise.

Both see the client's address through :func:`config.throttling.client_ip`, as the
throttles do.
"""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_cool_off, get_credentials, get_lockout_message
from django.contrib.auth import authenticate, user_logged_in
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, renderers, serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from config import parsers
from config.throttling import ScopedRateThrottle

# --- lockout ------------------------------------------------------------------------------


def _cool_off_seconds(request: HttpRequest | Request) -> int | None:
    cool_off = get_cool_off(request)
    return int(cool_off.total_seconds()) if cool_off else None


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: dict | None = None
) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: 429 with the reason and ``Retry-After`` (the cool-off;
    each failure while locked out starts it again)."""
    message = str(get_lockout_message())
    seconds = _cool_off_seconds(request)
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse({"detail": message}, status=status.HTTP_429_TOO_MANY_REQUESTS)
    else:
        response = render(
            request, "registration/locked_out.html",
            {"message": message, "cool_off_minutes": (seconds + 59) // 60 if seconds else None},
            status=status.HTTP_429_TOO_MANY_REQUESTS,
        )
    if seconds:
        response["Retry-After"] = str(seconds)
    return response


class LoginLockedOut(exceptions.APIException):
    """429: too many failed logins from this client for this user (django-axes)."""

    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"

    def __init__(self, *, message: str, wait: int | None) -> None:
        super().__init__(detail=message)
        self.wait = wait  # DRF's exception handler turns it into Retry-After


class AuthTokenInputSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=4096, trim_whitespace=False, style={"input_type": "password"})


class LoginLockedOutSerializer(serializers.Serializer):
    detail = serializers.CharField()


class AuthTokenErrorSerializer(serializers.Serializer):
    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
    username = serializers.ListField(child=serializers.CharField(), required=False)
    password = serializers.ListField(child=serializers.CharField(), required=False)


_BAD_CREDENTIALS = "Unable to log in with provided credentials."


class AuthTokenView(APIView):
    """``POST /api/v1/auth/token/`` with username and password → ``{"token": …}``."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"
    parser_classes = [parsers.JSONParser, parsers.FormParser, parsers.MultiPartParser]
    renderer_classes = [renderers.JSONRenderer]

    @extend_schema(
        operation_id="auth_token_create",
        auth=[],
        request=AuthTokenInputSerializer,
        responses={
            200: inline_serializer("AuthToken", {"token": serializers.CharField()}),
            400: OpenApiResponse(
                AuthTokenErrorSerializer,
                description="Missing fields, or wrong username or password (the same answer for both).",
                examples=[OpenApiExample("Wrong password", {"non_field_errors": [_BAD_CREDENTIALS]})],
            ),
            429: OpenApiResponse(
                LoginLockedOutSerializer,
                description=(
                    "Locked out after `LOGIN_FAILURE_LIMIT` failed logins for this username from this "
                    "address (django-axes, for `LOGIN_COOLOFF_MINUTES`; the right password is refused "
                    "too meanwhile), or throttled (`API_THROTTLE_AUTH`). `Retry-After` gives the seconds "
                    "to wait."
                ),
                examples=[OpenApiExample("Locked out", {"detail": "Too many failed login attempts. Try again in 15 minutes."})],
            ),
        },
    )
    def post(self, request: Request) -> Response:
        form = AuthTokenInputSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username, password = form.validated_data["username"], form.validated_data["password"]
        # The Django request, so that axes' marks land where its middleware looks for them.
        django_request = request._request
        user = authenticate(request=django_request, username=username, password=password)
        if user is None:
            if not AxesProxyHandler.is_allowed(django_request, get_credentials(username)):
                django_request.axes_locked_out = False  # answered here, not by the middleware
                raise LoginLockedOut(message=str(get_lockout_message()), wait=_cool_off_seconds(django_request))
            raise exceptions.ValidationError({"non_field_errors": [_BAD_CREDENTIALS]}, code="authorization")
        # A token is a login: axes logs it (and clears the failures), Django sets last_login.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        token, _ = Token.objects.get_or_create(user=user)
        return Response({"token": token.key})

