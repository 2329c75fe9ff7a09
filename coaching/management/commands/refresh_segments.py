"""``manage.py refresh_segments``: recompute the coaching segments now (a new run), or
``--rollback``: make the run before the current one current again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coaching.models import Segment, SegmentationRun
from coaching.services.segment_runs import SegmentationRunError, segmentation_run_rollback
from coaching.services.segments import segments_refresh


class Command(BaseCommand):
    help = "Recompute the coaching segments of every member now (the daily schedule does the same)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rollback", action="store_true",
                            help="Restore the segmentation run before the current one instead.")
        parser.add_argument("--reason", default="", help="Why (recorded on the rolled-back run).")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["rollback"]:
            try:
                run = segmentation_run_rollback(reason=options["reason"])
            except SegmentationRunError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(f"Run {run.number} of {run.computed_at:%Y-%m-%d %H:%M} is current again.")
        else:
            report = segments_refresh(trigger=SegmentationRun.Trigger.COMMAND)
            self.stdout.write(f"Segmented {report.members} member(s) into {report.segments} segment(s).")
        for segment in Segment.objects.order_by("kind", "name"):
            self.stdout.write(f"  {segment.get_kind_display()}: {segment.name} — {segment.size} member(s), "
                              f"{segment.workspace_count} workspace(s)")
