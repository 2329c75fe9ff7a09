"""The per-model API kit every workspace-owned model uses (NetBox style).

* :class:`WorkspaceOwnedSerializer` scopes every related-object field to the user's
  workspaces and checks that related rows belong to the same workspace as the row;
  the workspace itself can be chosen on create and never changed afterwards.
* :class:`RowListSerializer` renders a page of rows with the fields' own conversions
  but without DRF's per-value bookkeeping (a serializer opts in with
  ``Meta.list_serializer_class``; the output is the same, pinned by a test).
* :class:`WorkspaceScopedViewSet` serves only rows of the user's workspaces (other ids
  are 404) and lets only owners, managers and members write; viewers read. Every write
  is one database transaction: the row and what its signals write (the retrain
  counters) commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import models, transaction
from django.shortcuts import get_object_or_404
from django.utils import timezone
from rest_framework import ISO_8601, mixins, permissions, serializers, status, viewsets
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings

from finance.api.filters import is_workspace_owned, workspace_filter_verify
from finance.models import Membership, Workspace
from finance.selectors import membership_role_get, workspace_scoped_queryset


class Conflict(ValidationError):
    """409: the request is valid but the object's state refuses it (answered twice, …)."""

    status_code = status.HTTP_409_CONFLICT


class StrictSerializer(serializers.Serializer):
    """An operation's body (or a nested object of it) whose fields it does not take are
    refused by name: a typo such as ``promotion`` for ``promotions`` is not ignored."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)


def workspace_for(request: Request, workspace_id: int) -> Workspace:
    """One of the user's workspaces by id; any other id is a 404."""
    return get_object_or_404(workspace_scoped_queryset(model=Workspace, user=request.user), pk=workspace_id)


def workspace_object_or_404(model: type[models.Model], *, workspace: Workspace, pk: int, name: str) -> models.Model:
    """A row of ``workspace`` named in a request body by id; another workspace's, or none,
    answers 404 naming it (``No product 12 in this workspace.``)."""
    found = model.objects.filter(workspace=workspace, pk=pk).first()
    if found is None:
        raise NotFound(f"No {name} {pk} in this workspace.")
    return found


class WorkspaceOwnedSerializer(serializers.ModelSerializer):
    """Base serializer for rows that belong to a workspace."""

    workspace = serializers.PrimaryKeyRelatedField(queryset=Workspace.objects.none())

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        if isinstance(self.parent, serializers.ListSerializer) and not hasattr(self.parent, "initial_data"):
            # A list being rendered validates nothing: its related fields need no scoped
            # choices (building them costs three querysets per request on a list page).
            return fields
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and user is not None and is_workspace_owned(queryset.model):
                field.queryset = workspace_scoped_queryset(model=queryset.model, user=user)
        if "workspace" in fields and (self.instance is not None or self._updating()):
            fields["workspace"].read_only = True
        return fields

    def _updating(self) -> bool:
        """An update's serializer (the schema's, which has no instance, included)."""
        return getattr(self.context.get("view"), "action", None) in ("update", "partial_update")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        workspace = attrs.get("workspace") or getattr(self.instance, "workspace", None)
        errors = {}
        for name, value in attrs.items():
            if name == "workspace" or not isinstance(value, models.Model):
                continue
            owner_id = getattr(value, "workspace_id", None)
            if owner_id is not None and workspace is not None and owner_id != workspace.pk:
                errors[name] = [f"{value._meta.verbose_name.capitalize()} {value.pk} belongs to another workspace."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


Reader = Callable[[models.Model], Any]


def _generic_reader(field: serializers.Field) -> Reader:
    """DRF's own path for one field (``Serializer.to_representation``)."""

    def read(instance: models.Model) -> Any:
        attribute = field.get_attribute(instance)
        check_for_none = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
        return None if check_for_none is None else field.to_representation(attribute)

    return read


def _attribute_reader(attname: str, convert: Callable[[Any], Any] | None) -> Reader:
    """The attribute, converted unless it is None (``convert`` None: as it is)."""

    def read(instance: models.Model) -> Any:
        value = getattr(instance, attname)
        return value if value is None or convert is None else convert(value)

    return read


def _datetime_iso(tz: Any) -> Callable[[Any], Any]:
    """``DateTimeField.to_representation`` in ISO 8601 with the zone looked up once per page
    rather than once per value."""

    def convert(value: Any) -> Any:
        if not value or isinstance(value, str):
            return value
        if timezone.is_aware(value):
            value = value.astimezone(tz)
        text = value.isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return convert


def _field_reader(field: serializers.Field, model: type[models.Model], tz: Any) -> Reader:
    """How one field of a row is read: straight from the model attribute when the field is a
    plain model field, a primary-key relation or a datetime in ISO 8601; else DRF's way."""
    if len(field.source_attrs) != 1 or isinstance(field, serializers.BaseSerializer | serializers.SerializerMethodField):
        return _generic_reader(field)
    try:
        model_field = model._meta.get_field(field.source_attrs[0])
    except Exception:  # a property or an annotation: DRF's way
        return _generic_reader(field)
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        if field.pk_field is not None or not model_field.is_relation or model_field.many_to_many:
            return _generic_reader(field)
        return _attribute_reader(model_field.attname, None)
    if model_field.is_relation:
        return _generic_reader(field)
    if isinstance(field, serializers.DateTimeField):
        fmt = getattr(field, "format", api_settings.DATETIME_FORMAT)
        if hasattr(field, "timezone") or fmt is None or fmt.lower() != ISO_8601:
            return _generic_reader(field)
        return _attribute_reader(model_field.attname, _datetime_iso(tz))
    return _attribute_reader(model_field.attname, field.to_representation)


class RowListSerializer(serializers.ListSerializer):
    """A list of model rows rendered as ``ListSerializer`` does, each field converted by its
    own ``to_representation``, but read straight from the model attribute and with the
    time zone looked up once per page: a page of 50 transactions in about a third of the
    time. Fields it cannot read that way (nested serializers, method fields, dotted
    sources, relations other than a primary key) go DRF's generic way."""

    def to_representation(self, data: Any) -> list[dict[str, Any]]:
        iterable = data.all() if isinstance(data, models.manager.BaseManager) else data
        model = self.child.Meta.model
        tz = timezone.get_current_timezone()
        readers = [(field.field_name, _field_reader(field, model, tz)) for field in self.child._readable_fields]
        rows = []
        for item in iterable:
            row = {}
            for name, read in readers:
                try:
                    row[name] = read(item)
                except SkipField:
                    continue
            rows.append(row)
        return rows


def _workspace_id_of(obj: models.Model) -> int:
    return obj.pk if isinstance(obj, Workspace) else obj.workspace_id


class WorkspaceRolePermission(permissions.IsAuthenticated):
    """Reads for every member; writes on an object only for the view's ``write_roles``."""

    message = "Your role in this workspace does not allow changes."

    def has_object_permission(self, request: Request, view: Any, obj: models.Model) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        role = membership_role_get(user=request.user, workspace_id=_workspace_id_of(obj))
        return role in view.write_roles


class WorkspaceFilteredListMixin(mixins.ListModelMixin):
    """DRF's list, with the ``workspace`` filter's 400 for an unknown id asked only when no
    row came out (:class:`finance.api.filters.WorkspaceIdField`)."""

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data
        if not rows:
            workspace_filter_verify(getattr(self, "filterset_class", None), request.query_params.get("workspace"))
        return response


class WorkspaceScopedViewSet(WorkspaceFilteredListMixin, viewsets.ModelViewSet):
    """CRUD over one workspace-owned model, scoped to the requesting user's workspaces."""

    model: type[models.Model]
    select_related: tuple[str, ...] = ()
    #: What a list joins (None: ``select_related``): a list whose serializer shows related
    #: rows by id only needs no join and no related objects built.
    list_select_related: tuple[str, ...] | None = None
    write_roles: tuple[str, ...] = Membership.WRITE_ROLES
    permission_classes = [WorkspaceRolePermission]

    def get_queryset(self):  # noqa: ANN201 - DRF signature
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return self.model._default_manager.none()
        queryset = workspace_scoped_queryset(model=self.model, user=self.request.user)
        joined = self.select_related
        if self.action == "list" and self.list_select_related is not None:
            joined = self.list_select_related
        if joined:
            queryset = queryset.select_related(*joined)
        return self.refine_queryset(queryset)

    def refine_queryset(self, queryset):  # noqa: ANN001, ANN201
        """Hook for per-model narrowing or annotation of the already scoped queryset."""
        return queryset

    def check_workspace_write(self, workspace_id: int) -> None:
        """Refuse writes from viewers (403); non-members never get here (404/400)."""
        role = membership_role_get(user=self.request.user, workspace_id=workspace_id)
        if role not in self.write_roles:
            raise PermissionDenied(WorkspaceRolePermission.message)

    def perform_create(self, serializer: serializers.BaseSerializer) -> None:
        self.check_workspace_write(serializer.validated_data["workspace"].pk)
        with transaction.atomic():
            serializer.save()

    def perform_update(self, serializer: serializers.BaseSerializer) -> None:
        with transaction.atomic():
            serializer.save()

    def perform_destroy(self, instance: models.Model) -> None:
        with transaction.atomic():
            instance.delete()
