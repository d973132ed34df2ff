"""Demo users, companies, contacts and the owner-assignment history."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from cs_core.demo import words as W
from cs_core.demo.base import DAY, SECOND, Gen, Scale, skew


def users(gen: Gen, scale: Scale) -> tuple[pa.Table, pa.Table, np.ndarray]:
    rows = list(W.DEMO_USERS)
    for i in range(scale.extra_csms):
        first = W.FIRST_NAMES[(i * 7) % len(W.FIRST_NAMES)]
        last = W.LAST_NAMES[(i * 13 + i // len(W.LAST_NAMES)) % len(W.LAST_NAMES)]
        rows.append(
            (
                f"{first} {last}",
                f"{first}.{last}.{i}@northwind.example".lower(),
                W.TEAMS[i % 2],
                "UTC",
                False,
                True,
                False,
                True,
            )
        )
    team_ids = {name: i + 1 for i, name in enumerate(W.TEAMS)}
    teams = pa.table({"id": list(team_ids.values()), "name": list(team_ids)})
    created = gen.now - 400 * 86400 * SECOND
    users = pa.table(
        {
            "id": list(range(1, len(rows) + 1)),
            "name": [r[0] for r in rows],
            "email": [r[1] for r in rows],
            "team_id": [team_ids[r[2]] for r in rows],
            "time_zone": [r[3] for r in rows],
            "is_super_admin": [r[4] for r in rows],
            "has_workspace_access": [r[5] for r in rows],
            "can_manage_settings": [r[6] for r in rows],
            "has_service_seat": [r[7] for r in rows],
            "is_active": [True] * len(rows),
            "created_at": pa.array([created] * len(rows), pa.timestamp("s")),
        }
    )
    csm_ids = np.array(
        [i + 1 for i, r in enumerate(rows) if r[1] in W.CSM_EMAILS or i >= len(W.DEMO_USERS)]
    )
    return teams, users, csm_ids


def companies(gen: Gen, n: int, csm_ids: np.ndarray, seat_ids: np.ndarray) -> dict:
    rng = gen.rng
    industry_idx = rng.integers(0, len(W.INDUSTRIES), n)
    industries = np.asarray(W.INDUSTRIES, dtype=object)[industry_idx]
    words = np.array([W.INDUSTRY_WORDS[i][rng.integers(0, 5)] for i in industries], dtype=object)
    adjective = gen.pick(W.COMPANY_ADJECTIVES, n)
    noun = gen.pick(W.COMPANY_NOUNS, n)
    legal = gen.pick(W.LEGAL_SUFFIXES, n)
    names = adjective + " " + noun + " " + words + legal
    domain = np.char.lower((adjective + noun).astype(str)).astype(object) + ".example"
    segment = gen.pick(["SMB", "Mid-Market", "Enterprise"], n, p=[0.55, 0.30, 0.15])
    plan_by_segment = {
        "SMB": ([0.7, 0.28, 0.02]),
        "Mid-Market": [0.2, 0.6, 0.2],
        "Enterprise": [0.0, 0.3, 0.7],
    }
    plan = np.empty(n, dtype=object)
    employees = np.empty(n, dtype=np.int64)
    for seg, probs in plan_by_segment.items():
        mask = segment == seg
        plan[mask] = gen.pick(["Starter", "Professional", "Enterprise"], int(mask.sum()), p=probs)
        mean = {"SMB": 3.5, "Mid-Market": 5.5, "Enterprise": 7.8}[seg]
        employees[mask] = np.maximum(2, rng.lognormal(mean, 0.5, int(mask.sum()))).astype(np.int64)
    city_idx = rng.integers(0, len(W.CITIES), n)
    lifecycle = gen.pick(
        ["Customer", "Evangelist", "Former customer", "Opportunity"], n, p=[0.84, 0.06, 0.06, 0.04]
    )
    since_days = rng.integers(20, 2000, n)
    customer_since = gen.today - since_days * DAY
    # The next anniversary of the start, so renewals spread over the coming year.
    to_renewal = (365 - since_days % 365) % 365 + 1
    renewal = gen.today + to_renewal * DAY
    renewal_col = np.where(lifecycle == "Former customer", np.datetime64("NaT"), renewal)
    created_at = (
        customer_since.astype("datetime64[s]") - rng.integers(10 * 86400, 120 * 86400, n) * SECOND
    )
    nps = np.where(
        rng.random(n) < 0.3,
        np.nan,
        rng.choice(
            11, n, p=[0.02, 0.02, 0.03, 0.04, 0.05, 0.08, 0.1, 0.16, 0.2, 0.17, 0.13]
        ).astype(float),
    )
    out = {
        "id": np.arange(1, n + 1),
        "name": names,
        "domain": domain,
        "industry": industries,
        "segment": segment,
        "plan": plan,
        "country": np.asarray([c[1] for c in W.CITIES], dtype=object)[city_idx],
        "city": np.asarray([c[0] for c in W.CITIES], dtype=object)[city_idx],
        "employees": employees,
        "annual_revenue": np.round(employees * rng.lognormal(11.8, 0.4, n), -3),
        "lifecycle_stage": lifecycle,
        "owner_id": seat_ids[rng.integers(0, len(seat_ids), n)],
        "csm_id": csm_ids[rng.integers(0, len(csm_ids), n)],
        "renewal_date": renewal_col,
        "customer_since": customer_since,
        "nps": nps,
        "open_tickets": rng.poisson(1.3, n),
        "created_at": created_at,
        "updated_at": created_at,
    }
    # Customers who left had soured first: detractors with open tickets (set after the draws,
    # so the rest of the demo is unchanged), which is what a backtest of the scores should see.
    former = lifecycle == "Former customer"
    out["nps"] = np.where(former, np.fmin(nps, 4.0), nps)
    out["open_tickets"] = np.where(former, out["open_tickets"] + 3, out["open_tickets"])
    return out


def contacts(gen: Gen, m: int, companies: dict) -> dict:
    rng = gen.rng
    n = len(companies["id"])
    # Every company has at least one contact; the rest are spread unevenly.
    extra = rng.choice(n, size=max(0, m - n), p=skew(rng, n))
    company_idx = np.sort(np.concatenate([np.arange(min(n, m)), extra]))
    first = gen.pick(W.FIRST_NAMES, m)
    last = gen.pick(W.LAST_NAMES, m)
    domain = companies["domain"][company_idx]
    email = np.char.lower((first + "." + last).astype(str)).astype(object) + "@" + domain
    created = companies["created_at"][company_idx] + rng.integers(0, 200 * 86400, m) * SECOND
    created = np.minimum(created, gen.now - 86400 * SECOND)
    return {
        "id": np.arange(1, m + 1),
        "first_name": first,
        "last_name": last,
        "email": email,
        "job_title": gen.pick(W.JOB_TITLES, m),
        "phone": np.char.add("+1 555 0", rng.integers(100, 999, m).astype(str)).astype(object),
        "company_id": companies["id"][company_idx],
        "lifecycle_stage": gen.pick(
            ["Customer", "Evangelist", "Opportunity"], m, p=[0.85, 0.1, 0.05]
        ),
        "owner_id": companies["csm_id"][company_idx],
        "created_at": created,
        "updated_at": created,
    }


def owner_history(gen: Gen, co: dict, csm_ids: np.ndarray, changer: int) -> tuple[dict, np.ndarray]:
    """Initial CSM assignments, and reassignments in the last 60 days (for "assigned to me")."""
    rng = gen.rng
    n = len(co["id"])
    moved = np.flatnonzero(rng.random(n) < 0.08)
    old = co["csm_id"][moved]
    new = csm_ids[rng.integers(0, len(csm_ids), len(moved))]
    keep = new != old
    moved, old, new = moved[keep], old[keep], new[keep]
    first_owner = co["csm_id"].copy()
    first_owner[moved] = old
    current = co["csm_id"].copy()
    current[moved] = new
    k = n + len(moved)
    when = np.concatenate([co["created_at"], gen.days_ago(0.5, 60, len(moved))])
    history = {
        "id": np.arange(1, k + 1),
        "object": np.full(k, "companies", dtype=object),
        "record_id": np.concatenate([co["id"], co["id"][moved]]),
        "property": np.full(k, "csm_id", dtype=object),
        "old_value": np.concatenate(
            [np.full(n, None, dtype=object), old.astype(str).astype(object)]
        ),
        "new_value": np.concatenate([first_owner, new]).astype(str).astype(object),
        "changed_at": when,
        "changed_by": np.concatenate([np.zeros(n, int), np.full(len(moved), changer)]),
        "source": np.concatenate(
            [np.full(n, "import", dtype=object), np.full(len(moved), "ui", dtype=object)]
        ),
    }
    return history, current
