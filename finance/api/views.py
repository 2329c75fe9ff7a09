"""ViewSets of the books' API. Thin: scoping and role checks come from the kit,
writes beyond plain CRUD from :mod:`finance.services`."""

from __future__ import annotations

from django.db.models import OuterRef, Subquery
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from config.parsers import FormParser, MultiPartParser
from finance.api import filters, serializers
from finance.api.kit import Conflict, WorkspaceFilteredListMixin, WorkspaceScopedViewSet
from finance.models import (
    Budget,
    Category,
    Goal,
    Invitation,
    Membership,
    Product,
    Sale,
    StockLevel,
    Supplier,
    Transaction,
    Warehouse,
    Workspace,
)
from finance.selectors import membership_role_get, workspace_list_for_user
from finance.services.budgets import budget_delete
from finance.services.csv_import import CsvImportError, ImportResult
from finance.services.goals import goal_delete
from finance.services.import_mapping import ImportMappingError
from finance.services.invitations import (
    InvitationConflict,
    InvitationError,
    invitation_accept,
    invitation_create,
    invitation_decline,
)
from finance.services.sales import sale_import_csv
from finance.services.transaction_import import transaction_import
from finance.services.transactions import NothingToConfirm, transaction_confirm, transaction_delete
from finance.services.workspaces import (
    LastOwnerError,
    membership_delete,
    membership_update_role,
    workspace_create,
)


class WorkspaceViewSet(WorkspaceScopedViewSet):
    """Your workspaces. Anyone may create one (and becomes its owner); only owners change
    or delete it."""

    model = Workspace
    serializer_class = serializers.WorkspaceSerializer
    filterset_class = filters.WorkspaceFilter
    ordering_fields = ["name", "created_at"]
    search_fields = ["name"]
    write_roles = (Membership.Role.OWNER,)

    def refine_queryset(self, queryset):  # noqa: ANN001, ANN201
        role = Membership.objects.filter(workspace=OuterRef("pk"), user=self.request.user).values("role")
        return queryset.annotate(user_role=Subquery(role[:1]))

    def perform_create(self, serializer: serializers.WorkspaceSerializer) -> None:
        serializer.instance = workspace_create(owner=self.request.user, **serializer.validated_data)
        serializer.instance.user_role = Membership.Role.OWNER


class MembershipViewSet(WorkspaceScopedViewSet):
    """Who belongs to your workspaces. Only owners change roles or remove members; people
    join by accepting an invitation (``/api/v1/invitations/``), never added directly."""

    http_method_names = ["get", "put", "patch", "delete", "head", "options"]
    model = Membership
    serializer_class = serializers.MembershipSerializer
    filterset_class = filters.MembershipFilter
    select_related = ("user",)
    ordering_fields = ["joined_at", "role"]
    write_roles = (Membership.Role.OWNER,)

    def perform_update(self, serializer: serializers.MembershipSerializer) -> None:
        role = serializer.validated_data.get("role", serializer.instance.role)
        try:
            serializer.instance = membership_update_role(membership=serializer.instance, role=role)
        except LastOwnerError as exc:
            raise ValidationError({"role": [exc.message]}) from None

    @extend_schema(responses={204: None, 400: OpenApiResponse(description="The last owner is not removed.")})
    def destroy(self, request: Request, *args, **kwargs) -> Response:  # noqa: ANN002, ANN003
        return super().destroy(request, *args, **kwargs)

    def perform_destroy(self, instance: Membership) -> None:
        try:
            membership_delete(membership=instance)
        except LastOwnerError as exc:
            raise ValidationError({"detail": exc.message}) from None


_NOT_FOUND = OpenApiResponse(description="No such invitation for you (another workspace's, or not addressed to you).")
_CLOSED = OpenApiResponse(
    description="Answered already, expired, or (accept) you are a member of the workspace already."
)


class InvitationViewSet(
    WorkspaceFilteredListMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """Invitations to join a workspace. An owner invites by username or e-mail (the answer is
    the same whether or not such a user exists) and may withdraw it; the invited user sees
    it here and accepts or declines. The membership exists only after acceptance."""

    serializer_class = serializers.InvitationSerializer
    filterset_class = filters.InvitationFilter
    ordering_fields = ["created_at", "expires_at"]
    search_fields: list[str] = []

    def get_queryset(self):  # noqa: ANN201 - DRF signature
        if getattr(self, "swagger_fake_view", False):
            return Invitation.objects.none()
        return Invitation.objects.visible_to(self.request.user).select_related("workspace")

    def _owner_of(self, workspace_id: int) -> bool:
        return membership_role_get(user=self.request.user, workspace_id=workspace_id) == Membership.Role.OWNER

    @extend_schema(
        request=serializers.InvitationCreateSerializer,
        responses={201: serializers.InvitationSerializer, 400: OpenApiResponse(description="Invalid input."),
                   403: OpenApiResponse(description="You are not an owner of the workspace.")},
    )
    def create(self, request: Request) -> Response:
        form = serializers.InvitationCreateSerializer(
            data=request.data, workspaces=workspace_list_for_user(user=request.user)
        )
        form.is_valid(raise_exception=True)
        data = form.validated_data
        if not self._owner_of(data["workspace"].pk):
            raise PermissionDenied("Only the workspace's owners invite people.")
        try:
            invitation = invitation_create(
                workspace=data["workspace"], invited_by=request.user, role=data["role"],
                username=data["username"], email=data["email"],
            )
        except InvitationError as exc:
            raise ValidationError({"detail": exc.message}) from None
        output = self.get_serializer(invitation)
        return Response(output.data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: Invitation) -> None:
        if not self._owner_of(instance.workspace_id):
            raise PermissionDenied("Only the workspace's owners withdraw an invitation; decline it instead.")
        instance.delete()

    def _answer(self, answer):  # noqa: ANN001, ANN202
        invitation = self.get_object()
        try:
            return answer(invitation=invitation, user=self.request.user)
        except InvitationConflict as exc:
            raise Conflict({"detail": exc.message}) from None
        except InvitationError:
            raise NotFound() from None  # an owner looking at someone else's invitation

    @extend_schema(request=None, responses={201: serializers.MembershipSerializer, 404: _NOT_FOUND, 409: _CLOSED})
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """Join the workspace with the invitation's role (only the invited user)."""
        membership = self._answer(invitation_accept)
        return Response(serializers.MembershipSerializer(membership).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: serializers.InvitationSerializer, 404: _NOT_FOUND, 409: _CLOSED})
    @action(detail=True, methods=["post"])
    def decline(self, request: Request, pk: str | None = None) -> Response:
        """Refuse the invitation (only the invited user); nobody joins."""
        invitation = self._answer(invitation_decline)
        return Response(self.get_serializer(invitation).data)


class CategoryViewSet(WorkspaceScopedViewSet):
    model = Category
    serializer_class = serializers.CategorySerializer
    filterset_class = filters.CategoryFilter
    ordering_fields = ["name", "kind"]
    search_fields = ["name"]


class _CsvImportMixin:
    """``POST <list>/import/``: an all-or-nothing CSV import into one workspace."""

    throttle_scope: str | None = None  # set to "imports" on the import action only

    def run_import(self, request: Request, importer) -> Response:  # noqa: ANN001
        form = serializers.CsvImportSerializer(
            data=request.data, workspaces=workspace_list_for_user(user=request.user)
        )
        form.is_valid(raise_exception=True)
        workspace = form.validated_data["workspace"]
        self.check_workspace_write(workspace.pk)
        try:
            result: ImportResult = importer(workspace=workspace, file=form.validated_data["file"])
        except CsvImportError as exc:
            return Response(
                {"detail": exc.summary, "errors": [e.as_dict() for e in exc.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response({"created": result.created}, status=status.HTTP_201_CREATED)


class TransactionViewSet(_CsvImportMixin, WorkspaceScopedViewSet):
    model = Transaction
    serializer_class = serializers.TransactionSerializer
    filterset_class = filters.TransactionFilter
    select_related = ("category",)  # one row's validation reads its category
    list_select_related = ()  # a page shows the category's id only
    ordering_fields = ["date", "amount", "created_at"]
    search_fields = ["description", "merchant"]

    @extend_schema(
        request={"multipart/form-data": serializers.TransactionImportSerializer},
        responses={
            200: serializers.TransactionImportResultSerializer,
            201: serializers.TransactionImportResultSerializer,
            400: serializers.ImportErrorSerializer,
        },
    )
    @action(
        detail=False, methods=["post"], url_path="import",
        parser_classes=[MultiPartParser, FormParser], throttle_scope="imports",
    )
    def import_csv(self, request: Request) -> Response:
        """Import a file of transactions: a CSV with named columns (date, amount, kind,
        description, merchant, account, category, currency, status) or any CSV with a
        ``mapping``, an OFX or a QIF file (``format``). One bad row and nothing is written;
        rows imported before are skipped and reported (``duplicates``). ``dry_run``
        previews (200) and writes nothing."""
        form = serializers.TransactionImportSerializer(
            data=request.data, workspaces=workspace_list_for_user(user=request.user)
        )
        form.is_valid(raise_exception=True)
        data = form.validated_data
        self.check_workspace_write(data["workspace"].pk)
        try:
            result = transaction_import(
                workspace=data["workspace"], file=data["file"], user=request.user, file_format=data["format"],
                mapping=data.get("mapping"), dry_run=data["dry_run"], account=data.get("account"),
            )
        except ImportMappingError as exc:
            raise ValidationError({"mapping": exc.errors}) from None
        except CsvImportError as exc:
            return Response(
                {"detail": exc.summary, "errors": [e.as_dict() for e in exc.errors]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        body = {"created": result.created, "duplicates": result.duplicates, "duplicate_rows": result.duplicate_rows}
        if result.dry_run:
            body |= {
                "dry_run": True, "would_create": result.would_create, "total_errors": result.total_errors,
                "errors": [e.as_dict() for e in result.errors], "rows": result.rows,
            }
            return Response(body, status=status.HTTP_200_OK)
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=None,
        responses={
            200: serializers.TransactionSerializer,
            403: OpenApiResponse(description="Your role in this workspace does not allow changes."),
            404: OpenApiResponse(description="No such transaction in your workspaces."),
            409: OpenApiResponse(description="The amount awaits no confirmation."),
        },
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Confirm an amount marked ``needs_confirmation`` (far outside the workspace's usual
        range): from then on the transaction counts for forecasts."""
        try:
            transaction = transaction_confirm(transaction=self.get_object(), user=request.user)
        except NothingToConfirm as exc:
            raise Conflict({"detail": exc.message}) from None
        return Response(self.get_serializer(transaction).data)

    def perform_destroy(self, instance: Transaction) -> None:
        transaction_delete(transaction=instance)


class BudgetViewSet(WorkspaceScopedViewSet):
    model = Budget
    serializer_class = serializers.BudgetSerializer
    filterset_class = filters.BudgetFilter
    select_related = ("category",)
    ordering_fields = ["start_date", "amount"]

    def perform_destroy(self, instance: Budget) -> None:
        budget_delete(budget=instance)


class GoalViewSet(WorkspaceScopedViewSet):
    model = Goal
    serializer_class = serializers.GoalSerializer
    filterset_class = filters.GoalFilter
    ordering_fields = ["deadline", "target_amount", "name"]
    search_fields = ["name"]

    def perform_destroy(self, instance: Goal) -> None:
        goal_delete(goal=instance)


class SupplierViewSet(WorkspaceScopedViewSet):
    model = Supplier
    serializer_class = serializers.SupplierSerializer
    filterset_class = filters.SupplierFilter
    ordering_fields = ["name", "lead_time_mean_days"]
    search_fields = ["name"]


class ProductViewSet(WorkspaceScopedViewSet):
    model = Product
    serializer_class = serializers.ProductSerializer
    filterset_class = filters.ProductFilter
    ordering_fields = ["sku", "name", "unit_price"]
    search_fields = ["sku", "name"]


class WarehouseViewSet(WorkspaceScopedViewSet):
    model = Warehouse
    serializer_class = serializers.WarehouseSerializer
    filterset_class = filters.WarehouseFilter
    ordering_fields = ["code", "name"]
    search_fields = ["code", "name"]


class StockLevelViewSet(WorkspaceScopedViewSet):
    model = StockLevel
    serializer_class = serializers.StockLevelSerializer
    filterset_class = filters.StockLevelFilter
    select_related = ("product", "warehouse")
    ordering_fields = ["quantity", "updated_at"]


class SaleViewSet(_CsvImportMixin, WorkspaceScopedViewSet):
    model = Sale
    serializer_class = serializers.SaleSerializer
    filterset_class = filters.SaleFilter
    ordering_fields = ["date", "quantity"]

    @extend_schema(
        request={"multipart/form-data": serializers.CsvImportSerializer},
        responses={201: serializers.ImportResultSerializer, 400: serializers.ImportErrorSerializer},
    )
    @action(
        detail=False, methods=["post"], url_path="import",
        parser_classes=[MultiPartParser, FormParser], throttle_scope="imports",
    )
    def import_csv(self, request: Request) -> Response:
        """Import a CSV of sales (date, sku, warehouse, quantity, unit_price). One bad row and
        nothing is written."""
        return self.run_import(request, sale_import_csv)
