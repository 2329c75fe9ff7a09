"""The end-user pages, mounted at the site root (namespace ``finance``)."""

from django.urls import path

from finance.views import (
    accounts,
    auth,
    budgets,
    goals,
    inventory,
    overview,
    rules,
    transactions,
    workspaces,
)

app_name = "finance"

urlpatterns = [
    path("", overview.OverviewView.as_view(), name="overview"),
    path("login/", auth.LoginView.as_view(), name="login"),
    path("logout/", auth.LogoutView.as_view(), name="logout"),
    path("workspace/", workspaces.workspace_switch, name="workspace-switch"),
    path("transactions/", transactions.TransactionListView.as_view(), name="transactions"),
    path("transactions/new/", transactions.TransactionCreateView.as_view(), name="transaction-create"),
    path("transactions/import/", transactions.TransactionImportView.as_view(), name="transaction-import"),
    path("transactions/<int:pk>/edit/", transactions.TransactionUpdateView.as_view(), name="transaction-edit"),
    path(
        "transactions/<int:pk>/confirm/",
        transactions.TransactionConfirmView.as_view(),
        name="transaction-confirm",
    ),
    path(
        "transactions/<int:pk>/delete/",
        transactions.TransactionDeleteView.as_view(),
        name="transaction-delete",
    ),
    path("accounts/", accounts.AccountListView.as_view(), name="accounts"),
    path("accounts/new/", accounts.AccountCreateView.as_view(), name="account-create"),
    path("accounts/<int:pk>/edit/", accounts.AccountUpdateView.as_view(), name="account-edit"),
    path("accounts/<int:pk>/archive/", accounts.AccountArchiveView.as_view(), name="account-archive"),
    path("accounts/transfer/", accounts.TransferCreateView.as_view(), name="transfer-create"),
    path("accounts/transfers/<int:pk>/delete/", accounts.TransferDeleteView.as_view(), name="transfer-delete"),
    path("budgets/", budgets.BudgetListView.as_view(), name="budgets"),
    path("budgets/new/", budgets.BudgetCreateView.as_view(), name="budget-create"),
    path("budgets/<int:pk>/", budgets.BudgetDetailView.as_view(), name="budget-detail"),
    path("budgets/<int:pk>/edit/", budgets.BudgetUpdateView.as_view(), name="budget-edit"),
    path("budgets/<int:pk>/delete/", budgets.BudgetDeleteView.as_view(), name="budget-delete"),
    path("goals/", goals.GoalListView.as_view(), name="goals"),
    path("goals/new/", goals.GoalCreateView.as_view(), name="goal-create"),
    path("goals/<int:pk>/", goals.GoalDetailView.as_view(), name="goal-detail"),
    path("goals/<int:pk>/edit/", goals.GoalUpdateView.as_view(), name="goal-edit"),
    path("goals/<int:pk>/delete/", goals.GoalDeleteView.as_view(), name="goal-delete"),
    path("inventory/", inventory.InventoryView.as_view(), name="inventory"),
    path("rules/", rules.RuleListView.as_view(), name="rules"),
    path("rules/new/", rules.RuleCreateView.as_view(), name="rule-create"),
    path("rules/apply/", rules.RulesApplyView.as_view(), name="rules-apply"),
    path("rules/<int:pk>/edit/", rules.RuleUpdateView.as_view(), name="rule-edit"),
    path("rules/<int:pk>/delete/", rules.RuleDeleteView.as_view(), name="rule-delete"),
]
