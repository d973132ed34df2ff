"""One clock: stored in UTC whatever the server's zone, days in the user's zone, exact windows."""

import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from cs_core import clock, db, records, tasks
from cs_core.filters import compile_filter
from tests.conftest import ROOT

LA, TOKYO, SYDNEY = "America/Los_Angeles", "Asia/Tokyo", "Australia/Sydney"


@pytest.fixture
def con(empty_con):
    return empty_con


def _companies(con, rows: list[tuple[int, datetime | None, date | None]]) -> None:
    def fill(cur):
        for cid, active, renewal in rows:
            cur.execute("INSERT INTO companies (id, name, last_activity_at, renewal_date, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [cid, f"c{cid}", active, renewal, datetime(2026, 1, 1),
                                                      datetime(2026, 1, 1)])  # fmt: skip

    db.write(con, fill)


def _ids(con, spec, *, now: datetime, tz: str) -> list[int]:
    props = {p.name: p for p in records.list_properties(con, "companies")}
    compiled = compile_filter(spec, props, today=clock.local_date(now, tz), time_zone=tz)
    return [r[0] for r in con.execute(f"SELECT id FROM companies r WHERE {compiled.sql} ORDER BY id",
                                      compiled.params).fetchall()]  # fmt: skip


def c(prop, op, value=None):
    return [[{"property": prop, "operator": op, "value": value}]]


def test_today_is_the_users_day_not_utcs(con):
    # 18:00 in Los Angeles on 27 Nov is 02:00 UTC on 28 Nov.
    now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
    _companies(con, [
        (1, datetime(2026, 11, 28, 1, 30), None),  # 30 minutes ago: 17:30 LA, today
        (2, datetime(2026, 11, 27, 8, 0), None),   # 00:00 LA on the 27th: today
        (3, datetime(2026, 11, 27, 7, 59), None),  # 23:59 LA on the 26th: yesterday
    ])  # fmt: skip
    assert _ids(con, c("last_activity_at", "in_last_days", 1), now=now, tz=LA) == [1, 2]
    assert _ids(con, c("last_activity_at", "in_last_days", 2), now=now, tz=LA) == [1, 2, 3]
    assert _ids(con, c("last_activity_at", "eq", "2026-11-27"), now=now, tz=LA) == [1, 2]
    assert _ids(con, c("last_activity_at", "lt", "2026-11-27"), now=now, tz=LA) == [3]
    assert _ids(con, c("last_activity_at", "gt", "2026-11-26"), now=now, tz=LA) == [1, 2]
    # The same instants for a user in Tokyo (UTC+9): 28 Nov 10:30, 27 Nov 17:00, 27 Nov 16:59.
    assert _ids(con, c("last_activity_at", "in_last_days", 1), now=now, tz=TOKYO) == [1]
    assert _ids(con, c("last_activity_at", "eq", "2026-11-27"), now=now, tz=TOKYO) == [2, 3]
    # "In the next day" is the user's today too: in Los Angeles 1 and 2, in Tokyo only 1.
    assert _ids(con, c("last_activity_at", "in_next_days", 1), now=now, tz=LA) == [1, 2]
    assert _ids(con, c("last_activity_at", "in_next_days", 1), now=now, tz=TOKYO) == [1]


def test_in_last_days_is_exactly_n_calendar_days(con):
    now = datetime(2026, 11, 28, 12, tzinfo=UTC)
    _companies(con, [(i, None, date(2026, 11, 28) - timedelta(days=i)) for i in range(10)])
    # N = 7: the 28th and the six days before (ids 0..6), as engagement windows count.
    assert _ids(con, c("renewal_date", "in_last_days", 7), now=now, tz="UTC") == list(range(7))
    assert _ids(con, c("renewal_date", "in_last_days", 1), now=now, tz="UTC") == [0]
    assert _ids(con, c("renewal_date", "in_last_days", 0), now=now, tz="UTC") == []
    assert _ids(con, c("renewal_date", "more_than_days_ago", 7), now=now, tz="UTC") == [8, 9]


def test_a_week_with_a_dst_change_has_days_of_23_and_25_hours():
    # Clocks in Los Angeles go back on 1 Nov 2026; in Sydney they go forward on 4 Oct 2026.
    start, end = clock.day_bounds(date(2026, 11, 1), LA)
    assert (start, end - start) == (datetime(2026, 11, 1, 7), timedelta(hours=25))
    start, end = clock.day_bounds(date(2026, 10, 4), SYDNEY)
    assert (start, end - start) == (datetime(2026, 10, 3, 14), timedelta(hours=23))


def test_the_clock_reads_iso_times_and_a_fixed_now(monkeypatch):
    assert clock.parse_moment("2026-11-28T15:00:00Z") == datetime(2026, 11, 28, 15, tzinfo=UTC)
    assert clock.parse_moment("2026-11-28T16:00:00+01:00") == datetime(2026, 11, 28, 15, tzinfo=UTC)
    assert clock.parse_moment("2026-11-28 15:00") == datetime(2026, 11, 28, 15, tzinfo=UTC)
    with pytest.raises(clock.ClockError, match="not a timestamp"):
        clock.parse_moment("tomorrow")
    monkeypatch.setenv(clock.NOW_VARIABLE, "2030-01-02T03:04:05Z")
    assert clock.now() == datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert clock.shown(datetime(2026, 11, 28, 2, 0), LA) == "2026-11-27 18:00"


def test_task_buckets_use_the_one_time_module():
    now = datetime(2026, 11, 28, 6, tzinfo=UTC)
    assert tasks.local_day_bounds(now, LA) == (datetime(2026, 11, 27, 8), datetime(2026, 11, 28, 8))


STORE_IN_BERLIN = """
import sys
from datetime import UTC, datetime
from cs_core import db, record_values, users
con = db.open_workspace(sys.argv[1])
con.execute("INSERT INTO users (id, name, email, has_workspace_access, has_service_seat, created_at) "
            "VALUES (1, 'A', 'a@x.example', TRUE, TRUE, now()::TIMESTAMP)")
con.execute("INSERT INTO companies (id, name, created_at, updated_at) VALUES (1, 'c', now()::TIMESTAMP, now()::TIMESTAMP)")
record_values.update_property(con, actor=users.get_user(con, 1), object_name="companies", record_id=1,
                              property_name="city", value="Berlin", now=datetime(2026, 11, 28, 15, tzinfo=UTC))
print(con.execute("SELECT changed_at FROM property_history").fetchone()[0].isoformat())
print(con.execute("SELECT updated_at FROM companies").fetchone()[0].isoformat())
"""


@pytest.mark.parametrize("zone", ["Europe/Berlin", LA, TOKYO])
def test_an_aware_now_is_stored_in_utc_whatever_the_servers_zone(tmp_path, zone):
    done = subprocess.run([sys.executable, "-c", STORE_IN_BERLIN, str(tmp_path / "w.duckdb")], cwd=ROOT,
                          capture_output=True, text=True, timeout=120, env={"TZ": zone, "PATH": "/usr/bin"})  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["2026-11-28T15:00:00", "2026-11-28T15:00:00"]


def test_the_list_and_its_export_show_times_in_the_users_zone(con):
    from cs_core import record_list
    from cs_core.record_list import Query, Viewer

    _companies(con, [(1, datetime(2026, 11, 28, 1, 30), None)])
    query = Query("companies", [], ("name", "last_activity_at"))
    viewer = Viewer(None, datetime(2026, 11, 28, 2, tzinfo=UTC), LA)
    page = record_list.page(con, query, viewer)
    assert page.rows["Last activity date"].tolist() == [pd.Timestamp("2026-11-27 17:30")]
    frame = record_list.export_frame(con, query, viewer)
    assert list(frame.columns) == ["Record ID", "Company name", f"Last activity date ({LA})"]
    assert frame.iloc[0, 2] == pd.Timestamp("2026-11-27 17:30")
