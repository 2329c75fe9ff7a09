"""The per-model API kit every workspace-owned model uses (NetBox style).

* :class:`WorkspaceOwnedSerializer` scopes every related-object field to the user's
  workspaces and checks that related rows belong to the same workspace as the row;
  the workspace itself can be chosen on create and never changed afterwards.
* :class:`WorkspaceScopedViewSet` serves only rows of the user's workspaces (other ids
  are 404) and lets only owners, managers and members write; viewers read. Every write
  is one database transaction: the row and what its signals write (the retrain
  counters) commit together or not at all.
"""

from __future__ import annotations

from typing import Any

from django.db import models, transaction
from django.shortcuts import get_object_or_404
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request

from finance.models import Membership, Workspace
from finance.selectors import membership_role_get, workspace_scoped_queryset


class Conflict(ValidationError):
    """409: the request is valid but the object's state refuses it (answered twice, …)."""

    status_code = status.HTTP_409_CONFLICT


def workspace_for(request: Request, workspace_id: int) -> Workspace:
    """One of the user's workspaces by id; any other id is a 404."""
    return get_object_or_404(workspace_scoped_queryset(model=Workspace, user=request.user), pk=workspace_id)


def _is_workspace_owned(model: type[models.Model]) -> bool:
    return model is Workspace or any(f.name == "workspace" for f in model._meta.fields)


class WorkspaceOwnedSerializer(serializers.ModelSerializer):
    """Base serializer for rows that belong to a workspace."""

    workspace = serializers.PrimaryKeyRelatedField(queryset=Workspace.objects.none())

    def get_fields(self) -> dict[str, serializers.Field]:
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        for field in fields.values():
            queryset = getattr(field, "queryset", None)
            if queryset is not None and user is not None and _is_workspace_owned(queryset.model):
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


class WorkspaceScopedViewSet(viewsets.ModelViewSet):
    """CRUD over one workspace-owned model, scoped to the requesting user's workspaces."""

    model: type[models.Model]
    select_related: tuple[str, ...] = ()
    write_roles: tuple[str, ...] = Membership.WRITE_ROLES
    permission_classes = [WorkspaceRolePermission]

    def get_queryset(self):  # noqa: ANN201 - DRF signature
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return self.model._default_manager.none()
        queryset = workspace_scoped_queryset(model=self.model, user=self.request.user)
        if self.select_related:
            queryset = queryset.select_related(*self.select_related)
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
