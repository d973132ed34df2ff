"""The one change path: what follows a change runs here, in the transaction of the change.

Every write that changes what health scores read (a property edit, an import, new
activities, a merge, a published profile) ends its transaction with
:func:`apply` and an event saying what changed, whoever made it (the app, the
command line, an import). Here the live profiles that read the change rescore
(raising their alerts), and a merge moves what pointed at the merged record. So a
change and what follows from it are committed together or not at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

import duckdb

from cs_core import activities, clock

# Up to this many changed records are rescored one by one; more, and the profile's full run
# (one query over every record) is cheaper.
ONE_BY_ONE = 25
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecordsChanged:
    """Properties of records were written (``record_ids`` None: too many to list)."""

    object: str
    record_ids: tuple[int, ...] | None
    properties: frozenset[str]
    created: bool = False  # records were added (every profile of the object may score them)


@dataclass(frozen=True)
class ActivitiesAdded:
    """Activities with ids first_id..last_id were added (ids are allocated in blocks)."""

    first_id: int
    last_id: int


@dataclass(frozen=True)
class RecordsMerged:
    """``merged_id`` was merged into ``survivor_id`` (its activities and links moved there)."""

    object: str
    survivor_id: int
    merged_id: int


@dataclass(frozen=True)
class ProfilePublished:
    """A profile went live, or a live profile got new rules."""

    profile_id: int


Event = RecordsChanged | ActivitiesAdded | RecordsMerged | ProfilePublished


@dataclass(frozen=True)
class Followed:
    """What the change path did: profiles run in full, records rescored, alerts raised."""

    full_runs: tuple[int, ...] = ()
    rescored: int = 0
    alerts: int = 0
    moved_ids: int = 0
    skipped: tuple[str, ...] = ()  # profiles that could not score (why), the others were scored


def apply(cur: duckdb.DuckDBPyConnection, event: Event, *, now: datetime) -> Followed:
    """Run what follows ``event`` on ``cur``, inside the caller's write transaction."""
    from cs_core.health.profiles import get_profile, list_profiles

    moved = 0
    if isinstance(event, ActivitiesAdded):
        return _after_activities(cur, event, now)
    if isinstance(event, ProfilePublished):
        profile = get_profile(cur, profile_id=event.profile_id)
        return _rescore(cur, [profile] if profile and profile.status == "live" else [], None, now)
    if isinstance(event, RecordsMerged):
        moved = _after_merge(cur, event)
    profiles = list_profiles(cur, object_name=event.object, live_only=True)
    if isinstance(event, RecordsChanged) and not event.created:
        from cs_core.health.engine import owner_property

        owner = owner_property(cur, event.object)
        touched = set(event.properties) | ({"$owner"} if owner in event.properties else set())
        profiles = [p for p in profiles if p.reads & touched]
    ids = (event.survivor_id,) if isinstance(event, RecordsMerged) else event.record_ids
    result = _rescore(cur, profiles, ids, now)
    return Followed(result.full_runs, result.rescored, result.alerts, moved, result.skipped)


def _reads_activity(profile) -> bool:
    """Whether new activities can change the profile's scores: an engagement group, or a rule or
    filter on the last activity date (which new activities move)."""
    engagement = any(g["kind"] == "engagement" for g in profile.definition["groups"])
    return engagement or "last_activity_at" in profile.reads


def _after_activities(cur, event: ActivitiesAdded, now: datetime) -> Followed:
    """Rescore, in every live profile that reads activity, the records the new activities belong
    to by the one rule of :mod:`cs_core.activities` (a contact's call counts for its company too)."""
    from cs_core.health.profiles import list_profiles

    live = [p for p in list_profiles(cur, live_only=True) if _reads_activity(p)]
    full, rescored, alerts, skipped = [], 0, 0, []
    for obj in sorted({p.object for p in live}):
        linked, params = activities.linked(obj)
        ids = tuple(r[0] for r in cur.execute(
            f"SELECT DISTINCT rid FROM ({linked}) a WHERE a.id BETWEEN ? AND ? ORDER BY 1",
            [*params, event.first_id, event.last_id]).fetchall())  # fmt: skip
        if ids:
            done = _rescore(cur, [p for p in live if p.object == obj], ids, now)
            full += done.full_runs
            rescored += done.rescored
            alerts += done.alerts
            skipped += done.skipped
    return Followed(tuple(full), rescored, alerts, skipped=tuple(skipped))


def _rescore(cur, profiles: list, record_ids: tuple[int, ...] | None, now: datetime) -> Followed:
    """Rescore with each profile; one that cannot score (refused before it writes anything) is
    logged and skipped, so an edit or an import is never stopped by somebody's broken rules."""
    from cs_core.health.engine import ProfileUnusable, store

    day = clock.score_date(now)
    full, rescored, alerts, skipped = [], 0, 0, []
    for profile in profiles:
        try:
            if record_ids is not None and len(record_ids) <= ONE_BY_ONE:
                for record_id in record_ids:
                    done = store(cur, profile, score_date=day, now=now, record_id=record_id)
                    rescored += done.scored
                    alerts += done.alerts
            else:
                done = store(cur, profile, score_date=day, now=now)
                full.append(profile.id)
                rescored += done.scored
                alerts += done.alerts
        except ProfileUnusable as exc:
            log.warning("%s Its scores were not updated.", exc)
            skipped.append(str(exc))
    return Followed(tuple(full), rescored, alerts, skipped=tuple(skipped))


def _after_merge(cur, event: RecordsMerged) -> int:
    """The merged record's external ids now name the survivor (a re-import updates it); its
    scores go (the survivor is rescored with both records' activities); its overrides go too."""
    moved = cur.execute(
        "UPDATE record_external_ids SET record_id = ? WHERE object = ? AND record_id = ?",
        [event.survivor_id, event.object, event.merged_id],
    ).fetchone()[0]
    for table in ("health_scores", "health_current", "health_overrides"):
        cur.execute(
            f"DELETE FROM {table} WHERE record_id = ? AND profile_id IN "
            "(SELECT id FROM health_profiles WHERE object = ?)",
            [event.merged_id, event.object],
        )
    return moved
