"""The end-user pages, mounted at the site root (namespace ``finance``)."""

from django.urls import path

from finance.views import auth, inventory, overview, transactions, workspaces

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
        "transactions/<int:pk>/delete/",
        transactions.TransactionDeleteView.as_view(),
        name="transaction-delete",
    ),
    path("inventory/", inventory.InventoryView.as_view(), name="inventory"),
]
