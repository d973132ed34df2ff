"""Retention from subscription lines: ARR movements, GRR, NRR and logo churn per period,
exactly as ``spec/retention.md`` defines them (REN-2), and the accounts behind each figure.

A line is a record of a revenue object with an account (its one association to the
account object), an ARR, a start day and an optional end day (the first day it is no
longer active). An account's ARR on a day is the sum of its lines active that day; a
period compares each account's ARR on its first day ``t0`` with its ARR on ``t1``, the
first day after it. Money is summed as DECIMAL(38, 2), so every figure is exact to the
cent; ratios are full-precision fractions, None when the start ARR is 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

import duckdb
import pandas as pd

from cs_core.record_values import record_names
from cs_core.records import get_object, list_properties
from cs_core.settings import (
    RevenueSettings,
    get_customer_settings,
    get_revenue_settings,
    retention_roles,
)
from cs_core.sql import ident

MONEY = "DECIMAL(38, 2)"
MOVEMENTS = ("churned", "contraction", "expansion", "new", "retained")
MAX_PERIODS = 400


class RetentionError(ValueError):
    """A request that cannot be answered; the message names the problem."""


@dataclass(frozen=True)
class Source:
    """Where the ledger comes from: the revenue object, its account object and the
    properties playing the ARR, start and end roles."""

    object: str = "subscriptions"
    account_object: str = "companies"
    arr: str = "arr"
    start: str = "start_date"
    end: str | None = "end_date"


@dataclass(frozen=True)
class Period:
    period: str
    start: date
    end: date  # the first day after the period
    accounts_start: int
    accounts_churned: int
    start_arr: Decimal
    expansion: Decimal
    contraction: Decimal
    churned_arr: Decimal
    new_arr: Decimal
    end_arr: Decimal

    @property
    def grr(self) -> float | None:
        if not self.start_arr:
            return None
        return float((self.start_arr - self.contraction - self.churned_arr) / self.start_arr)

    @property
    def nrr(self) -> float | None:
        if not self.start_arr:
            return None
        return float(
            (self.start_arr + self.expansion - self.contraction - self.churned_arr) / self.start_arr
        )

    @property
    def logo_churn(self) -> float | None:
        return self.accounts_churned / self.accounts_start if self.accounts_start else None

    def shown(self, ratio: str) -> str:
        """``grr``, ``nrr`` or ``logo_churn`` as a percentage: the exact fraction rounded to 4
        decimals half away from zero ("91.34%"), or "-" when it is empty."""
        numerator, denominator = {
            "grr": (self.start_arr - self.contraction - self.churned_arr, self.start_arr),
            "nrr": (self.start_arr + self.expansion - self.contraction - self.churned_arr, self.start_arr),
            "logo_churn": (Decimal(self.accounts_churned), Decimal(self.accounts_start)),
        }[ratio]  # fmt: skip
        if not denominator:
            return "-"
        fraction = (numerator / denominator).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)
        return f"{fraction * 100:.2f}%"

    def as_json(self) -> dict:
        money = {k: float(getattr(self, k)) for k in ("start_arr", "expansion", "contraction", "churned_arr",
                                                       "new_arr", "end_arr")}  # fmt: skip
        return {"period": self.period, "start": self.start.isoformat(), "end": self.end.isoformat(),
                "accounts_start": self.accounts_start, "accounts_churned": self.accounts_churned, **money,
                "grr": self.grr, "nrr": self.nrr, "logo_churn": self.logo_churn}  # fmt: skip


@dataclass(frozen=True)
class Retention:
    periods: tuple[Period, ...]
    unassigned_lines: int
    invalid_lines: int

    def as_json(self) -> dict:
        return {"periods": [p.as_json() for p in self.periods], "unassigned_lines": self.unassigned_lines,
                "invalid_lines": self.invalid_lines}  # fmt: skip


def default_source(con: duckdb.DuckDBPyConnection, object_name: str = "subscriptions", *,
                   revenue: RevenueSettings | None = None, account_object: str | None = None) -> Source:  # fmt: skip
    """The ledger of ``object_name`` for the account object of the customer settings: the ARR,
    start and end properties the revenue settings name for it (S-3), or, for an object not
    chosen there, the default properties it has (``arr``, ``start_date``, ``end_date``).
    ``revenue`` and ``account_object``: the settings when the caller has read them."""
    info = get_object(con, object_name)
    if info is None:
        raise RetentionError(f"There is no revenue object {object_name!r}.")
    account = account_object or get_customer_settings(con).object
    chosen = (revenue or get_revenue_settings(con)).for_object(object_name)
    if chosen is not None:
        arr, start, end = chosen.arr_property, chosen.start_property, chosen.end_property
    else:
        arr, start, end = retention_roles(con, object_name)
    if not (arr and start):
        raise RetentionError(
            f"{info.label_plural} have no ARR and start date for retention: name them in the revenue "
            "settings (Settings, Revenue)."
        )
    return Source(object=object_name, account_object=account, arr=arr, start=start, end=end)


def ledger_objects(
    con: duckdb.DuckDBPyConnection, *, revenue: RevenueSettings | None = None
) -> list[str]:
    """The revenue objects retention can be computed from: those of the revenue settings with
    an ARR and a start date, and the standard subscriptions object when it has them."""
    chosen = revenue or get_revenue_settings(con)
    out = [o.object for o in chosen.objects if o.is_ledger and get_object(con, o.object)]
    if chosen.for_object("subscriptions") is None and get_object(con, "subscriptions") is not None:
        if retention_roles(con, "subscriptions")[0]:
            out.append("subscriptions")
    return out


def first_ledger(con: duckdb.DuckDBPyConnection, *, account_object: str) -> Source | None:
    """The ledger of the first revenue object with subscription lines, or None."""
    revenue = get_revenue_settings(con)
    ledgers = ledger_objects(con, revenue=revenue)
    if not ledgers:
        return None
    return default_source(con, ledgers[0], revenue=revenue, account_object=account_object)


def periods(grain: str, first: date, last: date) -> list[tuple[str, date, date]]:
    """The whole months or quarters whose first day lies in ``[first, last)``, or the custom
    period ``[first, last)``: (name, t0, t1)."""
    if last <= first:
        raise RetentionError("The end of the range must come after its start.")
    if grain == "custom":
        return [(f"{first.isoformat()}..{last.isoformat()}", first, last)]
    if grain not in ("month", "quarter"):
        raise RetentionError("A grain is month, quarter or custom.")
    step = 1 if grain == "month" else 3
    month = first.month if grain == "month" else 3 * ((first.month - 1) // 3) + 1
    t0 = date(first.year, month, 1)
    if t0 < first:  # a period that starts before ``first`` is left out
        t0 = _add_months(t0, step)
    out = []
    while t0 < last:
        t1 = _add_months(t0, step)
        name = (
            f"{t0.year}-{t0.month:02d}"
            if grain == "month"
            else f"{t0.year}-Q{(t0.month - 1) // 3 + 1}"
        )
        out.append((name, t0, t1))
        if len(out) > MAX_PERIODS:
            raise RetentionError(f"Ask for at most {MAX_PERIODS} periods at once.")
        t0 = t1
    return out


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _columns(con: duckdb.DuckDBPyConnection, source: Source) -> dict[str, str]:
    """The role columns from the catalog, checked for type (so no name from anywhere else
    reaches SQL)."""
    if get_object(con, source.object) is None:
        raise RetentionError(f"There is no revenue object {source.object!r}.")
    if get_object(con, source.account_object) is None:
        raise RetentionError(f"There is no account object {source.account_object!r}.")
    props = {p.name: p for p in list_properties(con, source.object)}
    out = {}
    for role, name, kind in (("arr", source.arr, "number"), ("start", source.start, "date"),
                             ("end", source.end, "date")):  # fmt: skip
        if name is None:
            continue
        prop = props.get(name)
        if prop is None or prop.type != kind:
            raise RetentionError(
                f"{source.object} has no {kind} property {name!r} for the {role} of a line."
            )
        out[role] = ident(name)
    return out


def _lines_sql(
    con: duckdb.DuckDBPyConnection, source: Source, *, of_accounts: str | None = None
) -> tuple[str, list]:
    """Every line with its account (NULL: none; -1: several) and whether it is valid;
    ``of_accounts`` (SQL selecting account ids) keeps the lines associated with those."""
    c = _columns(con, source)
    end = f"l.{c['end']}" if "end" in c else "CAST(NULL AS DATE)"
    params = [source.object, source.account_object]
    only = ""
    if of_accounts is not None:
        only = (" AND from_id IN (SELECT from_id FROM associations WHERE from_object = ? AND to_object = ? "
                f"AND to_id IN ({of_accounts}))")  # fmt: skip
        params += [source.object, source.account_object]
    sql = f"""
        SELECT l.id, CASE WHEN a.n = 1 THEN a.account WHEN a.n > 1 THEN -1 END AS account,
               CAST(l.{c['arr']} AS {MONEY}) AS arr, l.{c['start']} AS s, {end} AS e,
               (l.{c['arr']} IS NOT NULL AND l.{c['arr']} >= 0 AND l.{c['start']} IS NOT NULL
                AND ({end} IS NULL OR {end} > l.{c['start']}) AND coalesce(a.n, 0) <= 1) AS valid
        FROM {ident(source.object)} l
        {"LEFT JOIN" if of_accounts is None else "JOIN"} (
            SELECT from_id AS line, min(to_id) AS account, CASE WHEN min(to_id) = max(to_id) THEN 1 ELSE 2 END AS n
            FROM associations WHERE from_object = ? AND to_object = ?{only} GROUP BY from_id) a ON a.line = l.id
    """  # fmt: skip
    return sql, params


def retention(con: duckdb.DuckDBPyConnection, *, source: Source, grain: str, first: date,
              last: date) -> Retention:  # fmt: skip
    """The movements of every period of ``grain`` in ``[first, last)``, in one query.

    Only an account with a line starting or ending in ``(t0, t1]`` can have another ARR on
    ``t1`` than on ``t0``, so the movements compare the two days for those accounts alone;
    start and end ARR are the sums of the lines active on ``t0`` and ``t1``. The periods are
    consecutive, so a period's cohort is the previous one's less its churned accounts plus
    its new ones, starting from the accounts with ARR on the first day."""
    wanted = periods(grain, first, last)
    lines, params = _lines_sql(con, source)
    rows = con.execute(
        f"""
        WITH lines AS ({lines}),
        good AS (SELECT account, arr, s, coalesce(e, DATE '9999-12-31') AS e FROM lines
                 WHERE valid AND account > 0 AND arr > 0),
        periods AS (SELECT unnest(?::VARCHAR[]) AS name, unnest(?::DATE[]) AS t0, unnest(?::DATE[]) AS t1,
                           unnest(range(?)) AS i),
        changed AS (SELECT p.i, g.account FROM good g JOIN periods p ON p.t0 < g.s AND g.s <= p.t1
                    UNION SELECT p.i, g.account FROM good g JOIN periods p ON p.t0 < g.e AND g.e <= p.t1),
        pairs AS (SELECT c.i, coalesce(sum(g.arr) FILTER (WHERE g.s <= p.t0 AND p.t0 < g.e), 0) AS s,
                         coalesce(sum(g.arr) FILTER (WHERE g.s <= p.t1 AND p.t1 < g.e), 0) AS e
                  FROM changed c JOIN periods p USING (i) JOIN good g USING (account) GROUP BY c.i, c.account),
        moves AS (SELECT i, count(*) FILTER (WHERE s > 0 AND e = 0) AS churned_n,
                         count(*) FILTER (WHERE s = 0 AND e > 0) AS new_n,
                         sum(e - s) FILTER (WHERE s > 0 AND e > s) AS expansion,
                         sum(s - e) FILTER (WHERE e > 0 AND e < s) AS contraction,
                         sum(s) FILTER (WHERE s > 0 AND e = 0) AS churned, sum(e) FILTER (WHERE s = 0 AND e > 0) AS new
                  FROM pairs GROUP BY i),
        on_t0 AS (SELECT p.i, sum(g.arr) AS v FROM periods p JOIN good g ON g.s <= p.t0 AND p.t0 < g.e GROUP BY p.i),
        on_t1 AS (SELECT p.i, sum(g.arr) AS v FROM periods p JOIN good g ON g.s <= p.t1 AND p.t1 < g.e GROUP BY p.i),
        cohort AS (SELECT count(DISTINCT g.account) AS n FROM good g JOIN periods p
                   ON p.i = 0 AND g.s <= p.t0 AND p.t0 < g.e),
        counts AS (SELECT count(*) FILTER (WHERE account IS NULL) AS unassigned,
                          count(*) FILTER (WHERE account IS NOT NULL AND NOT valid) AS invalid FROM lines)
        SELECT p.name, p.t0, p.t1,
               cohort.n + coalesce(sum(coalesce(m.new_n, 0) - coalesce(m.churned_n, 0))
                                   OVER (ORDER BY p.i ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0),
               coalesce(m.churned_n, 0), coalesce(a0.v, 0), coalesce(m.expansion, 0), coalesce(m.contraction, 0),
               coalesce(m.churned, 0), coalesce(m.new, 0), coalesce(a1.v, 0), counts.unassigned, counts.invalid
        FROM periods p LEFT JOIN moves m USING (i) LEFT JOIN on_t0 a0 USING (i) LEFT JOIN on_t1 a1 USING (i),
             cohort, counts
        ORDER BY p.i
        """,
        [*params, [w[0] for w in wanted], [w[1] for w in wanted], [w[2] for w in wanted], len(wanted)],
    ).fetchall()  # fmt: skip
    found = tuple(
        Period(r[0], r[1], r[2], int(r[3]), int(r[4]), *(Decimal(v) for v in r[5:11])) for r in rows
    )
    unassigned, invalid = (int(rows[0][11]), int(rows[0][12])) if rows else line_counts(con, source)
    return Retention(found, unassigned, invalid)


def line_counts(con: duckdb.DuckDBPyConnection, source: Source) -> tuple[int, int]:
    """(unassigned, invalid) over every line of the object."""
    lines, params = _lines_sql(con, source)
    row = con.execute(
        f"SELECT count(*) FILTER (WHERE account IS NULL), count(*) FILTER (WHERE account IS NOT NULL AND NOT valid) "
        f"FROM ({lines})",
        params,
    ).fetchone()  # fmt: skip
    return int(row[0]), int(row[1])


def accounts(con: duckdb.DuckDBPyConnection, *, source: Source, start: date, end: date,
             movement: str) -> pd.DataFrame:  # fmt: skip
    """The accounts behind one movement of the period ``[start, end)``: account id, name,
    start ARR and end ARR (their sums are the period's figures)."""
    if movement not in MOVEMENTS:
        raise RetentionError(f"A movement is one of: {', '.join(MOVEMENTS)}.")
    lines, params = _lines_sql(con, source)
    test = {"churned": "s > 0 AND e = 0", "contraction": "s > 0 AND e > 0 AND e < s", "expansion": "s > 0 AND e > s",
            "new": "s = 0 AND e > 0", "retained": "s > 0 AND e > 0"}[movement]  # fmt: skip
    rows = con.execute(
        f"""
        WITH good AS (SELECT * FROM ({lines}) WHERE valid AND account IS NOT NULL AND account > 0),
        acc AS (SELECT account,
                       coalesce(sum(arr) FILTER (WHERE s <= ? AND (e IS NULL OR ? < e)), 0) AS s,
                       coalesce(sum(arr) FILTER (WHERE s <= ? AND (e IS NULL OR ? < e)), 0) AS e
                FROM good GROUP BY account)
        SELECT account, s, e FROM acc WHERE {test} ORDER BY account
        """,
        [*params, start, start, end, end],
    ).fetchall()  # fmt: skip
    names = record_names(con, {(source.account_object, r[0]) for r in rows})
    return pd.DataFrame(
        {"account_id": [r[0] for r in rows], "name": [names.get((source.account_object, r[0])) for r in rows],
         "start_arr": [Decimal(r[1]) for r in rows], "end_arr": [Decimal(r[2]) for r in rows]},
        columns=["account_id", "name", "start_arr", "end_arr"],
    )  # fmt: skip
