"""Retention exactly as spec/retention.md defines it, on a hand-computed ledger (REN-2).

Accounts (companies) and their subscription lines (ARR, start, end = first day not active):
  1 A  1000 from 2025-01-01; add-on 200.10 from 2026-02-15        Q1 expansion 200.10
  2 B  500 2025-06-01..2026-03-01, renewed at 399.90 from 03-01    Q1 contraction 100.10
  3 C  800 2025-01-01..2026-02-01                                   Q1 churned
  4 D  300 2025-01-01..2026-04-15, back at 350 from 2026-05-20       Q2: returns inside the period
  5 E  600 2025-01-01..2026-03-15, back at 600 from 2026-04-10       Q1 churned, Q2 new
  6 F  700 2025-01-01..2026-04-01 (ends on the boundary)             Q1 churned
  7 G  a zero-ARR line from 2025-01-01                               never in a cohort
  8 H  250 from 2026-01-20                                           Q1 new
Besides: two lines without an account (one also has a negative ARR), and four invalid lines
of accounts 1-3 (negative ARR, end on its start day, two accounts, no start).
"""

from datetime import date, datetime
from decimal import Decimal

import pytest

from cs_core import db, records, retention, settings
from cs_core.retention import RetentionError, Source
from cs_core.settings import ObjectSettings, RevenueSettings, SettingsError
from cs_core.users import User, get_user

D = Decimal
LINES = [  # id, account(s), arr, start, end
    (1, [1], 1000, "2025-01-01", None), (2, [1], 200.10, "2026-02-15", None),
    (3, [2], 500, "2025-06-01", "2026-03-01"), (4, [2], 399.90, "2026-03-01", None),
    (5, [3], 800, "2025-01-01", "2026-02-01"),
    (6, [4], 300, "2025-01-01", "2026-04-15"), (7, [4], 350, "2026-05-20", None),
    (8, [5], 600, "2025-01-01", "2026-03-15"), (9, [5], 600, "2026-04-10", None),
    (10, [6], 700, "2025-01-01", "2026-04-01"),
    (11, [7], 0, "2025-01-01", None),
    (12, [8], 250, "2026-01-20", None),
    (13, [], 999, "2025-01-01", None), (14, [], -1, "2025-01-01", None),  # unassigned
    (15, [1], -5, "2025-01-01", None), (16, [2], 100, "2026-02-01", "2026-02-01"),  # invalid
    (17, [1, 2], 100, "2025-01-01", None), (18, [3], 100, None, None),  # invalid
]  # fmt: skip
SOURCE = Source("subscriptions", "companies", "arr", "start_date", "end_date")


@pytest.fixture
def con(empty_con):
    return build_ledger(empty_con)


def build_ledger(empty_con):
    """The hand-computed ledger above in a new workspace."""
    stamp = datetime(2026, 1, 1)

    def users_and_companies(cur):
        for i, name in enumerate("ABCDEFGH", start=1):
            cur.execute("INSERT INTO companies (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                        [i, f"Account {name}", stamp, stamp])  # fmt: skip

    db.write(empty_con, users_and_companies)  # subscriptions are a standard object

    def lines(cur):
        for lid, accounts, arr, start, end in LINES:
            cur.execute("INSERT INTO subscriptions (id, name, arr, start_date, end_date, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", [lid, f"line {lid}", arr, start, end, stamp, stamp])  # fmt: skip
            for account in accounts:
                cur.execute("INSERT INTO associations VALUES ('subscriptions', ?, 'companies', ?, NULL, ?)",
                            [lid, account, stamp])  # fmt: skip

    db.write(empty_con, lines)
    return empty_con


def test_every_field_of_two_quarters(con):
    found = retention.retention(
        con, source=SOURCE, grain="quarter", first=date(2026, 1, 1), last=date(2026, 7, 1)
    )
    assert (found.unassigned_lines, found.invalid_lines) == (2, 4)
    q1, q2 = found.periods
    assert (q1.period, q1.start, q1.end) == ("2026-Q1", date(2026, 1, 1), date(2026, 4, 1))
    assert (q1.accounts_start, q1.accounts_churned) == (6, 3)  # A B C D E F; C E F churned
    assert (q1.start_arr, q1.expansion, q1.contraction, q1.churned_arr, q1.new_arr, q1.end_arr) == (
        D("3900.00"), D("200.10"), D("100.10"), D("2100.00"), D("250.00"), D("2150.00"))  # fmt: skip
    assert q1.grr == float(D("1699.90") / D("3900")) and q1.nrr == float(D("1900") / D("3900"))
    assert q1.logo_churn == 0.5
    assert (q2.period, q2.start, q2.end) == ("2026-Q2", date(2026, 4, 1), date(2026, 7, 1))
    assert (q2.accounts_start, q2.accounts_churned) == (4, 0)  # A B D H; D returned inside Q2
    assert (q2.start_arr, q2.expansion, q2.contraction, q2.churned_arr, q2.new_arr, q2.end_arr) == (
        D("2150.00"), D("50.00"), D("0.00"), D("0.00"), D("600.00"), D("2800.00"))  # fmt: skip
    assert (q2.grr, q2.nrr, q2.logo_churn) == (1.0, float(D("2200") / D("2150")), 0.0)
    for p in found.periods:
        assert p.end_arr == p.start_arr + p.expansion - p.contraction - p.churned_arr + p.new_arr


def test_a_period_starting_with_no_arr_has_no_ratios(con):
    found = retention.retention(
        con, source=SOURCE, grain="custom", first=date(2024, 12, 1), last=date(2025, 2, 1)
    )
    (p,) = found.periods
    assert (p.accounts_start, p.start_arr, p.new_arr, p.end_arr) == (
        0,
        D("0.00"),
        D("3400.00"),
        D("3400.00"),
    )
    assert (p.grr, p.nrr, p.logo_churn) == (None, None, None)


def test_months_and_the_periods_a_range_covers():
    assert retention.periods("month", date(2026, 1, 15), date(2026, 4, 1)) == [
        ("2026-02", date(2026, 2, 1), date(2026, 3, 1)), ("2026-03", date(2026, 3, 1), date(2026, 4, 1))]  # fmt: skip
    # A quarter that starts before the range is left out; one starting inside it is whole.
    assert [p[0] for p in retention.periods("quarter", date(2026, 2, 1), date(2026, 7, 2))] == [
        "2026-Q2",
        "2026-Q3",
    ]
    for grain, first, last, message in [("week", date(2026, 1, 1), date(2026, 2, 1), "month, quarter or custom"),
                                        ("month", date(2026, 2, 1), date(2026, 2, 1), "must come after")]:  # fmt: skip
        with pytest.raises(RetentionError, match=message):
            retention.periods(grain, first, last)


def test_each_movements_accounts_sum_to_the_movement(con):
    found = retention.retention(
        con, source=SOURCE, grain="quarter", first=date(2026, 1, 1), last=date(2026, 7, 1)
    )
    for p in found.periods:
        frames = {m: retention.accounts(con, source=SOURCE, start=p.start, end=p.end, movement=m)
                  for m in retention.MOVEMENTS}  # fmt: skip
        churned, contracted, expanded, new = (
            frames[m] for m in ("churned", "contraction", "expansion", "new")
        )
        assert (
            sum(churned["start_arr"], D(0)) == p.churned_arr and len(churned) == p.accounts_churned
        )
        assert sum(contracted["start_arr"] - contracted["end_arr"], D(0)) == p.contraction
        assert sum(expanded["end_arr"] - expanded["start_arr"], D(0)) == p.expansion
        assert sum(new["end_arr"], D(0)) == p.new_arr
        cohort = len(churned) + len(frames["retained"])
        assert cohort == p.accounts_start
    q1 = found.periods[0]
    churned = retention.accounts(con, source=SOURCE, start=q1.start, end=q1.end, movement="churned")
    assert list(churned["name"]) == ["Account C", "Account E", "Account F"]


def test_the_roles_come_from_the_catalog(con):
    with pytest.raises(RetentionError, match="no number property 'seats'"):
        retention.retention(con, source=Source(arr="seats"), grain="quarter", first=date(2026, 1, 1),
                            last=date(2026, 4, 1))  # fmt: skip
    with pytest.raises(RetentionError, match="no revenue object"):
        retention.retention(con, source=Source(object="nope"), grain="quarter", first=date(2026, 1, 1),
                            last=date(2026, 4, 1))  # fmt: skip


def test_renewals_in_the_next_days_with_arr_today_and_at_risk(demo_con):
    from datetime import UTC, timedelta

    from cs_core import clock, renewals
    from tests.conftest import CSM, NOW

    user = get_user(demo_con, CSM)
    today = clock.local_date(NOW, user.time_zone)
    day = clock.score_date(NOW)
    counts = []
    for window in renewals.WINDOWS:
        found = renewals.renewals(demo_con, user=user, now=NOW, window=window, owners=[CSM])
        expected = demo_con.execute(
            """
            SELECT c.id, coalesce((SELECT sum(CAST(s.arr AS DECIMAL(38, 2))) FROM subscriptions s
                                   JOIN associations a ON a.from_object = 'subscriptions' AND a.from_id = s.id
                                   AND a.to_object = 'companies' WHERE a.to_id = c.id AND s.start_date <= ?), 0),
                   (SELECT CASE WHEN coalesce(h.override_until >= ?, FALSE) THEN NULL ELSE h.category END
                    FROM health_current h JOIN health_profiles p ON p.id = h.profile_id AND p.status = 'live'
                    WHERE h.record_id = c.id ORDER BY p.id LIMIT 1)
            FROM companies c WHERE c.csm_id = ? AND c.renewal_date >= ? AND c.renewal_date < ?
            ORDER BY c.renewal_date, lower(c.name), c.id
            """,
            [today, day, CSM, today, today + timedelta(days=window)],
        ).fetchall()  # fmt: skip
        assert list(found.rows["id"]) == [r[0] for r in expected]
        assert list(found.rows["arr"]) == [D(r[1]) for r in expected]
        assert found.arr_at_risk == sum((D(r[1]) for r in expected if r[2] == "at_risk"), D(0))
        counts.append(len(found.rows))
    assert counts[0] <= counts[1] <= counts[2] and counts[2] > 0
    assert NOW.tzinfo is UTC


def test_the_command_line_prints_the_specs_json(tmp_path):
    import json

    from tests.core.test_cli import run

    path = tmp_path / "ledger.duckdb"
    build_ledger(db.open_workspace(str(path))).close()
    out = run(
        "retention",
        "--db",
        str(path),
        "--grain",
        "quarter",
        "--from",
        "2026-01-01",
        "--to",
        "2026-07-01",
        "--json",
    )
    found = json.loads(out.stdout)
    assert (found["unassigned_lines"], found["invalid_lines"]) == (2, 4)
    assert found["periods"][0] == {
        "period": "2026-Q1", "start": "2026-01-01", "end": "2026-04-01", "accounts_start": 6, "accounts_churned": 3,
        "start_arr": 3900.0, "expansion": 200.1, "contraction": 100.1, "churned_arr": 2100.0, "new_arr": 250.0,
        "end_arr": 2150.0, "grr": 1699.9 / 3900, "nrr": 1900 / 3900, "logo_churn": 0.5}  # fmt: skip
    assert [p["period"] for p in found["periods"]] == ["2026-Q1", "2026-Q2"]
    bad = run(
        "retention",
        "--db",
        str(path),
        "--grain",
        "quarter",
        "--from",
        "2026-13-01",
        "--to",
        "2026-07-01",
        code=2,
    )
    assert "'2026-13-01' is not a day" in bad.stderr


def test_renewals_on_the_command_line(demo_path):
    import json

    from cs_core import renewals
    from tests.conftest import CSM, NOW
    from tests.core.test_cli import run

    con = db.open_workspace(str(demo_path))
    expected = renewals.renewals(con, user=get_user(con, CSM), now=NOW, window=60, owners=[CSM])
    con.close()
    out = run("renewals", "--db", str(demo_path), "--window", "60", "--owner", "lucas.fischer@northwind.example",
              "--now", NOW.isoformat(), "--json")  # fmt: skip
    found = json.loads(out.stdout)
    assert [a["id"] for a in found["accounts"]] == list(expected.rows["id"])
    assert found["arr_at_risk"] == float(expected.arr_at_risk) and found["window_days"] == 60
    assert all(len(a["renewal_date"]) == 10 for a in found["accounts"])


def test_the_revenue_settings_name_the_roles_of_another_object(con):
    """A custom object whose lines use other property names: the revenue settings name its
    ARR, start and end properties (S-3), and retention reads exactly those."""
    admin = User(1, "Admin", "admin@example.com", None, None, "UTC", True, True, True, True)
    records.create_custom_object(
        con, actor=admin, name="licenses", label="License", label_plural="Licenses",
        properties=[{"name": "owner_id", "label": "Owner", "type": "user"},
                    {"name": "annual_value", "label": "Annual value", "type": "number"},
                    {"name": "begins", "label": "Begins", "type": "date"},
                    {"name": "lapses", "label": "Lapses", "type": "date"}],
    )  # fmt: skip

    def copy_ledger(cur):  # the same lines as the subscriptions, under the new names
        cur.execute(
            "INSERT INTO licenses (id, name, annual_value, begins, lapses, created_at, updated_at) "
            "SELECT id, name, arr, start_date, end_date, created_at, updated_at FROM subscriptions"
        )
        cur.execute("INSERT INTO associations SELECT 'licenses', from_id, to_object, to_id, label, created_at "
                    "FROM associations WHERE from_object = 'subscriptions'")  # fmt: skip

    db.write(con, copy_ledger)
    with pytest.raises(RetentionError, match="Licenses have no ARR and start date for retention"):
        retention.default_source(con, "licenses")  # not chosen, and no default names
    assert retention.ledger_objects(con) == ["subscriptions"]
    licenses = ObjectSettings("licenses", "owner_id", None, arr_property="annual_value",
                              start_property="begins", end_property="lapses")  # fmt: skip
    settings.save_revenue_settings(con, actor=admin, value=RevenueSettings((licenses,), "licenses"),
                                   now=datetime(2026, 5, 1))  # fmt: skip
    assert retention.ledger_objects(con) == ["licenses", "subscriptions"]
    source = retention.default_source(con, "licenses")
    assert source == Source("licenses", "companies", "annual_value", "begins", "lapses")
    ask = dict(grain="quarter", first=date(2026, 1, 1), last=date(2026, 7, 1))
    assert retention.retention(con, source=source, **ask) == retention.retention(
        con, source=SOURCE, **ask
    )
    wrong = ObjectSettings(
        "licenses", "owner_id", None, arr_property="begins", start_property="annual_value"
    )
    with pytest.raises(SettingsError) as err:
        settings.save_revenue_settings(con, actor=admin, value=RevenueSettings((wrong,), "licenses"),
                                       now=datetime(2026, 5, 1))  # fmt: skip
    assert err.value.problems == [
        "Revenue (Licenses): the ARR of a line must be a number property; 'Begins' is a date property.",
        "Revenue (Licenses): the start date of a line must be a date property; 'Annual value' is a number property.",
    ]  # fmt: skip
    half = ObjectSettings("licenses", "owner_id", None, arr_property="annual_value")
    with pytest.raises(SettingsError, match="retention needs both the ARR and the start date"):
        settings.save_revenue_settings(con, actor=admin, value=RevenueSettings((half,), "licenses"),
                                       now=datetime(2026, 5, 1))  # fmt: skip
    assert retention.default_source(con, "licenses") == source  # the refused saves changed nothing


def test_ratios_are_shown_rounded_to_four_decimals_half_away_from_zero():
    # 1 - 1/3 = 0.66666.. -> 66.67%; 1/8 = 0.125 exactly -> 12.50%; 0.00005 -> 0.01% (half up)
    p = retention.Period("p", date(2026, 1, 1), date(2026, 4, 1), 8, 1, D("3"), D("0"), D("0"), D("1"),
                         D("0"), D("2"))  # fmt: skip
    assert (p.shown("grr"), p.shown("nrr"), p.shown("logo_churn")) == ("66.67%", "66.67%", "12.50%")
    half = retention.Period("p", date(2026, 1, 1), date(2026, 4, 1), 20000, 1, D("20000"), D("1"), D("0"),
                            D("0"), D("0"), D("20001"))  # fmt: skip
    assert (half.shown("nrr"), half.shown("logo_churn")) == ("100.01%", "0.01%")  # 1.00005, 0.00005
    empty = retention.Period("p", date(2026, 1, 1), date(2026, 4, 1), 0, 0, *[D("0")] * 6)
    assert (empty.shown("grr"), empty.shown("nrr"), empty.shown("logo_churn")) == ("-", "-", "-")


def _reference(lines, t0, t1):
    """retention.md read literally: each account's ARR on t0 and t1, compared."""

    def arr_on(day):
        out = {}
        for account, arr, start, end in lines:
            if start <= day and (end is None or day < end):
                out[account] = out.get(account, D(0)) + arr
        return out

    s_arr, e_arr = arr_on(t0), arr_on(t1)
    out = dict(accounts_start=0, accounts_churned=0, start_arr=D(0), expansion=D(0), contraction=D(0),
               churned_arr=D(0), new_arr=D(0), end_arr=sum(e_arr.values(), D(0)))  # fmt: skip
    for account in set(s_arr) | set(e_arr):
        s, e = s_arr.get(account, D(0)), e_arr.get(account, D(0))
        if s > 0:
            out["accounts_start"] += 1
            out["start_arr"] += s
            if e == 0:
                out["accounts_churned"] += 1
                out["churned_arr"] += s
            elif e < s:
                out["contraction"] += s - e
            elif e > s:
                out["expansion"] += e - s
        elif e > 0:
            out["new_arr"] += e
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_ledger_matches_the_definition_read_literally(empty_con, seed):
    """The engine only compares the accounts whose lines change in a period; on a random
    ledger (gaps, returns, add-ons, zero ARR, lines ending on boundaries) every field of every
    month, quarter and custom period equals the definition computed account by account."""
    import random
    from datetime import timedelta

    rng = random.Random(seed)
    stamp = datetime(2026, 1, 1)
    boundaries = [date(2024, m, 1) for m in range(1, 13)] + [date(2025, m, 1) for m in range(1, 13)]
    lines = []
    for lid in range(1, 301):
        account = rng.randint(1, 40)
        start = (
            rng.choice(boundaries)
            if rng.random() < 0.3
            else date(2023, 6, 1) + timedelta(rng.randint(0, 900))
        )
        end = (
            None
            if rng.random() < 0.4
            else start + timedelta(rng.choice([rng.randint(1, 500), 31, 92]))
        )
        if end is not None and rng.random() < 0.3:
            end = rng.choice(boundaries + [date(2026, 1, 1)])
            if end <= start:
                end = None
        arr = D(0) if rng.random() < 0.05 else D(rng.randint(1, 500_00)) / 100
        lines.append((lid, account, arr, start, end))

    def write(cur):
        for i in range(1, 41):
            cur.execute("INSERT INTO companies (id, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
                        [i, f"Account {i}", stamp, stamp])  # fmt: skip
        for lid, account, arr, start, end in lines:
            cur.execute("INSERT INTO subscriptions (id, name, arr, start_date, end_date, created_at, updated_at) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)", [lid, f"line {lid}", arr, start, end, stamp, stamp])  # fmt: skip
            cur.execute("INSERT INTO associations VALUES ('subscriptions', ?, 'companies', ?, NULL, ?)",
                        [lid, account, stamp])  # fmt: skip

    db.write(empty_con, write)
    plain = [(a, arr, s, e) for _, a, arr, s, e in lines]
    for grain, first, last in (("month", date(2023, 12, 15), date(2026, 3, 1)),
                               ("quarter", date(2023, 10, 1), date(2026, 4, 1)),
                               ("custom", date(2024, 2, 29), date(2025, 8, 17))):  # fmt: skip
        found = retention.retention(empty_con, source=SOURCE, grain=grain, first=first, last=last)
        assert len(found.periods) == {"month": 26, "quarter": 10, "custom": 1}[grain]
        for p in found.periods:
            expected = _reference(plain, p.start, p.end)
            assert {k: getattr(p, k) for k in expected} == expected, (grain, p.period)


def test_renewals_of_a_hand_fixture_in_the_users_zone(con):
    """REN-1 on the ledger above: 16:00 UTC on 31 May is 1 June in Tokyo, so a renewal on
    31 May is past; the window is [1 June, 1 June + N days). ARR on today, health in effect."""
    from datetime import UTC

    from cs_core import clock, health, renewals

    now = datetime(2026, 5, 31, 16, 0, tzinfo=UTC)
    renewal = {1: "2026-05-31", 2: "2026-06-01", 3: "2026-06-30", 4: "2026-07-01", 5: "2026-08-29",
               6: "2026-08-30", 7: None, 8: "2026-06-15"}  # fmt: skip
    employees = {
        1: 10,
        2: 10,
        3: 150,
        4: 10,
        5: 60,
        6: 10,
        7: 10,
        8: 10,
    }  # at risk, successful, neutral

    def people(cur):
        for uid, name, zone in ((10, "Kei", "Asia/Tokyo"), (11, "Ana", "Europe/Lisbon")):
            cur.execute("INSERT INTO users (id, name, email, time_zone, has_workspace_access, created_at) "
                        "VALUES (?, ?, ?, ?, TRUE, ?)", [uid, name, f"{name.lower()}@example.com", zone, now])  # fmt: skip
        for cid in renewal:
            cur.execute("UPDATE companies SET renewal_date = ?, employees = ?, csm_id = ? WHERE id = ?",
                        [renewal[cid], employees[cid], 11 if cid == 8 else 10, cid])  # fmt: skip

    db.write(con, people)
    size = {"name": "Size", "kind": "property", "max_points": 100, "rules": [
        {"when": [{"property": "employees", "operator": "gte", "value": 50}], "points": 50},
        {"when": [{"property": "employees", "operator": "gte", "value": 100}], "points": 50}]}  # fmt: skip
    profile = health.save_profile(con, actor=None, now=now,
                                  definition={"name": "Size", "object": "companies", "status": "live", "groups": [size]})  # fmt: skip
    health.run(con, profile, score_date=clock.score_date(now), now=now)
    kei = get_user(con, 10)
    shown = {}
    for window in (30, 60, 90):
        found = renewals.renewals(con, user=kei, now=now, window=window, owners=[10])
        shown[window] = (list(found.rows["name"]), list(found.rows["arr"]), list(found.rows["category"]),
                         found.arr_at_risk, found.total_arr)  # fmt: skip
    assert shown[30] == (["Account B", "Account C"], [D("399.90"), D("0.00")], ["At risk", "Successful"],
                         D("399.90"), D("399.90"))  # fmt: skip
    assert shown[60] == (["Account B", "Account C", "Account D"], [D("399.90"), D("0.00"), D("350.00")],
                         ["At risk", "Successful", "At risk"], D("749.90"), D("749.90"))  # fmt: skip
    assert shown[90] == (["Account B", "Account C", "Account D", "Account E"],
                         [D("399.90"), D("0.00"), D("350.00"), D("600.00")],
                         ["At risk", "Successful", "At risk", "Neutral"], D("749.90"), D("1349.90"))  # fmt: skip
    everyone = renewals.renewals(con, user=kei, now=now, window=30)
    assert list(everyone.rows["name"]) == ["Account B", "Account H", "Account C"]
    assert list(everyone.rows["owner"]) == ["Kei", "Ana", "Kei"]
    assert everyone.arr_at_risk == D("649.90")
    # In Lisbon it is still 31 May (17:00): account A renews today there.
    ana = get_user(con, 11)
    assert list(renewals.renewals(con, user=ana, now=now, window=30).rows["name"])[:1] == [
        "Account A"
    ]
