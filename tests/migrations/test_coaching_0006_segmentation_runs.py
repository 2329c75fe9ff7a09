"""Migration: the segments in place when runs start being recorded become run 1, so that the
first run after the upgrade can be rolled back to them."""

import datetime as dt

import pytest

from tests.migrations.harness import migration_before

AFTER = ("coaching", "0006_segmentation_runs")
BEFORE = migration_before(*AFTER)


@pytest.mark.django_db(transaction=True)
def test_the_segments_in_place_become_the_current_run(migrate_to):
    # Given, before the migration, two household segments from a k = 2 run and their members
    before = migrate_to(BEFORE)
    User = before.get_model("auth", "User")
    Workspace = before.get_model("finance", "Workspace")
    Segment = before.get_model("coaching", "Segment")
    Assignment = before.get_model("coaching", "SegmentAssignment")
    at = dt.datetime(2026, 11, 2, 5, tzinfo=dt.UTC)
    centre = {"savings_rate": 0.4, "engagement": 1.0}
    savers = Segment.objects.create(kind="household", key="household-savers", name="Savers", centroid=centre,
                                    size=2, workspace_count=2, n_clusters=2, silhouette=0.5, computed_at=at)
    spenders = Segment.objects.create(kind="household", key="household-spenders", name="Spenders", centroid=centre,
                                      size=1, workspace_count=1, n_clusters=2, silhouette=0.5, computed_at=at)
    for n, segment in enumerate((savers, savers, spenders)):
        user = User.objects.create(username=f"migrating-{n}")
        workspace = Workspace.objects.create(name=f"Home {n}", slug=f"home-runs-{n}", kind="household")
        Assignment.objects.create(segment=segment, workspace=workspace, user=user, features=centre, distance=0.1,
                                  computed_at=at)
    # When the migration runs
    Run = migrate_to(AFTER).get_model("coaching", "SegmentationRun")
    # Then they are run 1, current, with what a rollback restores
    run = Run.objects.get()
    assert (run.number, run.status, run.computed_at, run.members, run.segment_count, run.silhouette, run.k) == (
        1, "current", at, 3, 2, 0.5, {"household": 2})
    assert run.features == ["savings_rate", "engagement"]
    assert [s["key"] for s in run.snapshot["segments"]] == ["household-savers", "household-spenders"]
    assert [row[0] for row in run.snapshot["assignments"]] == [0, 0, 1]


@pytest.mark.django_db(transaction=True)
def test_no_segments_no_run(migrate_to):
    migrate_to(BEFORE)
    assert migrate_to(AFTER).get_model("coaching", "SegmentationRun").objects.count() == 0
