"""Membership by invitation: an owner invites someone by username or e-mail, and the
membership exists only once the invited user accepts.

Nothing here tells the owner whether a username or address belongs to anyone: an
invitation is written the same way for both, and matched to a user only when that user
reads or answers it (:meth:`finance.models.InvitationQuerySet.addressed_to`).
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from finance.models import Invitation, Membership, Workspace


class InvitationError(ValueError):
    """An invitation that cannot be written or answered; ``message`` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvitationConflict(InvitationError):
    """The invitation's state refuses the answer (answered already, expired, already a member)."""


def invitation_create(
    *,
    workspace: Workspace,
    invited_by: AbstractBaseUser,
    role: str = Membership.Role.MEMBER,
    username: str = "",
    email: str = "",
) -> Invitation:
    """Invite the user named by ``username`` or ``email`` (exactly one) to ``workspace``.

    Whether such a user exists or is a member already is not looked at: the answer must
    not tell. A second open invitation of the same person to the same workspace is refused.
    Expires after ``INVITATION_EXPIRY_DAYS``.
    """
    username, email = username.strip(), email.strip()
    if bool(username) == bool(email):
        raise InvitationError("Give either a username or an e-mail address.")
    now = timezone.now()
    open_ = Invitation.objects.filter(
        workspace=workspace, status=Invitation.Status.PENDING, expires_at__gt=now,
    )
    if open_.filter(username=username, email__iexact=email).exists():
        raise InvitationError(f"{username or email} has an open invitation to this workspace already.")
    return Invitation.objects.create(
        workspace=workspace, username=username, email=email, role=role, invited_by=invited_by,
        created_at=now, expires_at=now + dt.timedelta(days=settings.INVITATION_EXPIRY_DAYS),
    )


def _open_for(invitation: Invitation, user: AbstractBaseUser) -> Invitation:
    """The invitation locked for an answer by ``user``; refuses a closed one."""
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    if not invitation.is_for(user):
        raise InvitationError("This invitation is for someone else.")
    if invitation.status != Invitation.Status.PENDING:
        raise InvitationConflict(f"This invitation was {invitation.get_status_display().lower()} already.")
    if invitation.expires_at <= timezone.now():
        raise InvitationConflict("This invitation has expired; ask the workspace's owner for a new one.")
    return invitation


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: AbstractBaseUser) -> Membership:
    """``user`` accepts: they join the workspace with the invitation's role."""
    invitation = _open_for(invitation, user)
    if Membership.objects.filter(workspace_id=invitation.workspace_id, user=user).exists():
        raise InvitationConflict("You are a member of this workspace already.")
    membership = Membership.objects.create(workspace=invitation.workspace, user=user, role=invitation.role)
    invitation.status = Invitation.Status.ACCEPTED
    invitation.accepted_by = user
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "accepted_by", "answered_at"])
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: AbstractBaseUser) -> Invitation:
    """``user`` declines: the invitation is closed and nobody joins."""
    invitation = _open_for(invitation, user)
    invitation.status = Invitation.Status.DECLINED
    invitation.answered_at = timezone.now()
    invitation.save(update_fields=["status", "answered_at"])
    return invitation
