"""Random filter specs against the real builder and query: only FilterError ever escapes, and
nothing a spec holds reaches the database as SQL (CUS-3, CUS-6, DAT-3).

2,000 specs per run (hypothesis), each compiled by cs_core.filters and run as a WHERE clause
on the demo workspace's tables; a canary table must be there, unchanged, at the end.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cs_core import filters
from cs_core.filters import OPERATORS, FilterError
from cs_core.records import list_properties
from cs_core.sql import ident
from tests.conftest import CSM, NOW

OBJECTS = ("companies", "deals")
HOSTILE_TEXT = ["'; DROP TABLE canary; --", '" OR 1=1 --', "read_text('/etc/hostname')", "$me",
                "$owner", "1e400", "-0", "NaN", "Infinity", "9" * 40, "2026-02-30", "0001-01-01",
                "9999-12-31", "  ", "", "\x00", "é" * 2_000]  # fmt: skip

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, 1, 30, 36_500, 36_501, 740_000, 99_999_999_999, 2**63 - 1, 2**63, 10**30]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.inf, -math.inf, float("1e400"), 1e300, 5e-324]),
    st.text(max_size=30),
    st.sampled_from(HOSTILE_TEXT),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=4,
)


def conditions(names: list[str]):
    known = st.sampled_from(names)
    ops = st.sampled_from([*OPERATORS, "assigned_to_me_in_last_days"])
    plausible = st.one_of(st.integers(0, 40_000), st.sampled_from(["Enterprise", "2026-11-01", "$me"]),
                          st.lists(st.integers(0, 50), min_size=2, max_size=2))  # fmt: skip
    return st.fixed_dictionaries(
        # Mostly real names and operators (so that values are checked), sometimes anything.
        {
            "property": st.one_of(known, known, known, values),
            "operator": st.one_of(ops, ops, values),
        },
        optional={"value": st.one_of(plausible, values)},
    )


def specs(names: list[str]):
    cond = conditions(names)
    groups = st.lists(st.lists(cond, min_size=1, max_size=2), max_size=2)
    return st.one_of(
        groups,  # groups of conditions
        st.lists(cond, max_size=2),  # a flat list of conditions
        groups,
        st.lists(cond, max_size=1),
        values,  # anything at all
        st.text(max_size=40),  # JSON text, or not
    )


@pytest.fixture
def fuzzed(demo_con):
    demo_con.execute("CREATE TABLE canary (id INTEGER, note VARCHAR)")
    demo_con.execute("INSERT INTO canary VALUES (1, 'still here')")
    names = {obj: [p.name for p in list_properties(demo_con, obj)] + ["$owner"] for obj in OBJECTS}
    yield demo_con, names
    assert demo_con.execute("SELECT * FROM canary").fetchall() == [(1, "still here")]


def test_random_specs_raise_only_the_filter_error(fuzzed):
    con, names = fuzzed
    props = {obj: {p.name: p for p in list_properties(con, obj)} for obj in OBJECTS}
    owners = {obj: next(n for n, p in props[obj].items() if p.type == "user") for obj in OBJECTS}
    outcomes = {"applied": 0, "refused": 0}

    # The same 2,000 specs every run (derandomize; 66 apply): a random draw applied as few as 49
    # once, under the floor below, so the suite passed or failed by chance.
    @settings(max_examples=2_000, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])  # fmt: skip
    @given(st.one_of(*(st.tuples(st.just(obj), specs(names[obj])) for obj in OBJECTS)))
    def check(case):
        obj, spec = case
        try:
            where = filters.compile_filter(spec, props[obj], today=NOW.date(), me=CSM, object_name=obj,
                                           time_zone="America/Los_Angeles", owner=owners[obj])  # fmt: skip
            con.execute(
                f"SELECT count(*) FROM {ident(obj)} r WHERE {where.sql}", where.params
            ).fetchone()
        except FilterError:
            outcomes["refused"] += 1
        else:
            outcomes["applied"] += 1

    check()
    # The run tried both kinds: specs that apply and specs that are refused.
    assert outcomes["applied"] >= 50 and outcomes["refused"] >= 500, outcomes
