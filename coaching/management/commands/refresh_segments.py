"""``manage.py refresh_segments``: recompute the coaching segments now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from coaching.models import Segment
from coaching.services.segments import segments_refresh


class Command(BaseCommand):
    help = "Recompute the coaching segments of every member now (the daily schedule does the same)."

    def handle(self, *args: Any, **options: Any) -> None:
        report = segments_refresh()
        self.stdout.write(f"Segmented {report.members} member(s) into {report.segments} segment(s).")
        for segment in Segment.objects.order_by("kind", "name"):
            self.stdout.write(f"  {segment.get_kind_display()}: {segment.name} — {segment.size} member(s), "
                              f"{segment.workspace_count} workspace(s)")
