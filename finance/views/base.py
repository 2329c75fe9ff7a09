"""The current workspace of a request and the mixin every page view uses.

The current workspace is kept in the session; it is always one of the user's own
workspaces (a stale or foreign id in the session falls back to the first one). Objects
in URLs are looked up among the user's workspaces only, so another workspace's id is a
404; viewers may read everything but writes answer 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from finance.models import Membership, Workspace
from finance.panels import page_panels_context
from finance.selectors import membership_list_with_workspaces, workspace_scoped_queryset

SESSION_KEY = "ledgerwise_workspace_id"


@dataclass
class WorkspaceContext:
    """The user's memberships and the one the request works in."""

    memberships: list[Membership]
    membership: Membership | None

    @property
    def workspace(self) -> Workspace | None:
        return self.membership.workspace if self.membership else None

    @property
    def can_write(self) -> bool:
        return self.membership is not None and self.membership.can_write

    @property
    def has_inventory(self) -> bool:
        """The current workspace has active products (the Inventory page and model show)."""
        return self.membership is not None and getattr(self.membership, "workspace_has_products", True)

    def membership_for(self, workspace_id: int) -> Membership | None:
        return next((m for m in self.memberships if m.workspace_id == workspace_id), None)


def workspace_context(request: HttpRequest) -> WorkspaceContext:
    """The user's memberships (one query) and the current one from the session."""
    memberships = list(membership_list_with_workspaces(user=request.user))
    context = WorkspaceContext(memberships=memberships, membership=None)
    wanted = request.session.get(SESSION_KEY)
    context.membership = context.membership_for(wanted) if wanted is not None else None
    if context.membership is None and memberships:
        context.membership = memberships[0]
    return context


def workspace_activate(request: HttpRequest, workspace_id: int) -> None:
    """Make ``workspace_id`` the session's current workspace (the caller checked membership)."""
    if request.session.get(SESSION_KEY) != workspace_id:
        request.session[SESSION_KEY] = workspace_id


class WorkspacePageMixin(LoginRequiredMixin):
    """A page inside the current workspace.

    Anonymous users are sent to the login page; users without a workspace see an empty
    state; with ``write_required`` viewers get 403 (checked again by object views against
    the object's own workspace).
    """

    write_required = False
    section = "overview"  # the navigation entry (a URL name in the ``finance`` namespace)
    #: The page whose registered panels (:mod:`finance.panels`) this view gathers, if any.
    panels_page: str | None = None
    request: HttpRequest
    ws: WorkspaceContext

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.ws = workspace_context(request)
        if self.ws.membership is None:
            return render(request, "finance/no_workspace.html", {"ws": self.ws})
        if self.write_required:
            self.require_write(self.ws.membership)
        return super().dispatch(request, *args, **kwargs)

    @property
    def workspace(self) -> Workspace:
        assert self.ws.workspace is not None
        return self.ws.workspace

    def require_write(self, membership: Membership | None) -> None:
        if membership is None or not membership.can_write:
            raise PermissionDenied("Your role in this workspace does not allow changes.")

    def use_workspace_of(self, workspace_id: int) -> None:
        """Switch the page (and the session) to the workspace an object in the URL belongs
        to; the object was found among the user's workspaces, so the membership exists."""
        membership = self.ws.membership_for(workspace_id)
        if membership is None:  # pragma: no cover - the scoped lookup guarantees it
            raise PermissionDenied
        if membership is not self.ws.membership:  # the session changes only on a real switch
            self.ws.membership = membership
            workspace_activate(self.request, workspace_id)

    def render_to_response(self, context: dict[str, Any], **response_kwargs: Any) -> HttpResponse:
        """The page's own context is complete here: the panels of other apps read it."""
        if self.panels_page is not None:
            context.update(page_panels_context(
                page=self.panels_page, request=self.request, workspace=self.workspace, context=context,
            ))
        return super().render_to_response(context, **response_kwargs)

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context.update(
            ws=self.ws,
            workspace=self.workspace,
            can_write=self.ws.can_write,
            section=self.section,
            section_url_name=f"finance:{self.section}",
        )
        return context


class WorkspaceObjectMixin(WorkspacePageMixin):
    """A page about one object of ``model`` named by ``pk`` in the URL: it is looked up
    among the user's workspaces only (another workspace's id is a 404), the page switches
    to the object's workspace, and with ``object_write`` (edit and delete pages) viewers
    of that workspace get 403."""

    model: type[models.Model]
    object_related: tuple[str, ...] = ()
    object_write = False
    kwargs: dict[str, Any]

    def get_object(self, queryset: Any = None) -> Any:
        scoped = workspace_scoped_queryset(model=self.model, user=self.request.user)
        if self.object_related:
            scoped = scoped.select_related(*self.object_related)
        obj = get_object_or_404(scoped, pk=self.kwargs["pk"])
        self.use_workspace_of(obj.workspace_id)
        if self.object_write:
            self.require_write(self.ws.membership)
        return obj
