"""The workspace switcher: choose which of your workspaces the pages show."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from finance.selectors import workspace_list_for_user
from finance.views.base import workspace_activate


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    """``POST workspace=<id>[&next=<path>]``: make that workspace current.

    Only the user's own workspaces can be chosen; any other id (or garbage) is a 404.
    """
    try:
        workspace_id = int(request.POST.get("workspace", ""))
    except ValueError:
        raise Http404("No such workspace.") from None
    if not workspace_list_for_user(user=request.user).filter(pk=workspace_id).exists():
        raise Http404("No such workspace.")
    workspace_activate(request, workspace_id)
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "finance:overview"
    return redirect(target)
