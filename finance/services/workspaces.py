"""Workspaces and their members."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from finance.accounts.services import account_default_get
from finance.models import Membership, Workspace


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "workspace"
    slug, n = base, 1
    while Workspace.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


@transaction.atomic
def workspace_create(
    *, name: str, owner: AbstractBaseUser, kind: str = Workspace.Kind.BUSINESS, currency: str = "USD"
) -> Workspace:
    """Create a workspace with ``owner`` as its first member (role owner) and its default
    account (a bank account in the workspace's currency)."""
    workspace = Workspace.objects.create(
        name=name, slug=_unique_slug(name), kind=kind, currency=currency.upper()
    )
    Membership.objects.create(workspace=workspace, user=owner, role=Membership.Role.OWNER)
    account_default_get(workspace=workspace)
    return workspace


class LastOwnerError(ValueError):
    """A workspace must keep at least one owner."""

    message = "A workspace needs at least one owner."

    def __init__(self) -> None:
        super().__init__(self.message)


def _is_last_owner(membership: Membership) -> bool:
    if membership.role != Membership.Role.OWNER:
        return False
    others = Membership.objects.filter(workspace_id=membership.workspace_id, role=Membership.Role.OWNER)
    return not others.exclude(pk=membership.pk).exists()


@transaction.atomic
def membership_update_role(*, membership: Membership, role: str) -> Membership:
    """Change a member's role; refuses to demote the last owner."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role != Membership.Role.OWNER and _is_last_owner(membership):
        raise LastOwnerError()
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_delete(*, membership: Membership) -> None:
    """Remove a member; refuses to remove the last owner."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if _is_last_owner(membership):
        raise LastOwnerError()
    membership.delete()
