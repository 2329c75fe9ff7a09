"""The API router: every ``/api/v1/`` endpoint is registered here."""

from rest_framework.routers import DefaultRouter

from coaching.api.views import BehavioralEventViewSet
from finance.accounts.api import AccountViewSet, TransferViewSet
from finance.api import views as finance
from finance.api.rules import CategoryRuleViewSet
from finance.purchasing.api import PurchaseOrderViewSet, ReceiptViewSet
from forecasting.api import views as ml
from forecasting.api.rollouts import RolloutViewSet

router = DefaultRouter()
router.register("workspaces", finance.WorkspaceViewSet, basename="workspace")
router.register("memberships", finance.MembershipViewSet, basename="membership")
router.register("invitations", finance.InvitationViewSet, basename="invitation")
router.register("categories", finance.CategoryViewSet, basename="category")
router.register("transactions", finance.TransactionViewSet, basename="transaction")
router.register("accounts", AccountViewSet, basename="account")
router.register("transfers", TransferViewSet, basename="transfer")
router.register("rules", CategoryRuleViewSet, basename="category-rule")
router.register("budgets", finance.BudgetViewSet, basename="budget")
router.register("goals", finance.GoalViewSet, basename="goal")
router.register("suppliers", finance.SupplierViewSet, basename="supplier")
router.register("products", finance.ProductViewSet, basename="product")
router.register("warehouses", finance.WarehouseViewSet, basename="warehouse")
router.register("stock-levels", finance.StockLevelViewSet, basename="stocklevel")
router.register("sales", finance.SaleViewSet, basename="sale")
router.register("purchase-orders", PurchaseOrderViewSet, basename="purchase-order")
router.register("purchase-receipts", ReceiptViewSet, basename="purchase-receipt")
router.register("events", BehavioralEventViewSet, basename="event")
router.register("ml/models", ml.ModelVersionViewSet, basename="ml-model")
router.register("ml/jobs", ml.TrainingJobViewSet, basename="ml-job")
router.register("ml/feedback", ml.FeedbackViewSet, basename="ml-feedback")
router.register("ml/alerts", ml.AlertViewSet, basename="ml-alert")
router.register("ml/rollouts", RolloutViewSet, basename="ml-rollout")
router.register("inventory/plans", ml.StockPlanViewSet, basename="stock-plan")
