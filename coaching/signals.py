"""A new member has a segment at once: when a membership is created (a workspace made, an
invitation accepted), the member is placed in the nearest segment of its kind, or a
starter one (:func:`coaching.services.segments.segment_assign`), after the commit."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from finance.models import Membership

logger = logging.getLogger(__name__)


@receiver(post_save, sender=Membership, dispatch_uid="coaching.membership_created")
def membership_created(sender: type, instance: Membership, created: bool, raw: bool = False, **kwargs: Any) -> None:
    if not created or raw:
        return
    workspace_id, user_id = instance.workspace_id, instance.user_id

    def place() -> None:
        from coaching.services.segments import segment_assign

        try:
            segment_assign(workspace_id=workspace_id, user_id=user_id)
        except Exception:  # the daily run places the member anyway; joining must not fail
            logger.exception("Could not place user %s of workspace %s in a segment", user_id, workspace_id)

    transaction.on_commit(place)
