"""Demo pipelines, subscriptions, deals and services."""

from __future__ import annotations

import json

import numpy as np

from cs_core.demo.base import DAY, SECOND, Gen


def pipeline_tables(spec: list[tuple[str, str, list[tuple[str, float, bool, list[str]]]]]):
    """Pipelines and stages from (object, label, [(stage, probability, closed, required)])."""
    pipes, stages = [], []
    for pid, (obj, label, stage_list) in enumerate(spec, start=1):
        pipes.append((pid, obj, label, pid))
        for pos, (stage, prob, closed, required) in enumerate(stage_list, start=1):
            stages.append((len(stages) + 1, pid, stage, pos, prob, closed, json.dumps(required)))
    return pipes, stages


def stage_ids(stages: list[tuple], pipeline_id: int) -> np.ndarray:
    return np.array([s[0] for s in stages if s[1] == pipeline_id])


def subscriptions(gen: Gen, co: dict, stages: list[tuple]) -> dict:
    rng = gen.rng
    idx = np.flatnonzero(co["lifecycle_stage"] != "Opportunity")
    k = len(idx)
    base = {"Starter": 6_000, "Professional": 24_000, "Enterprise": 110_000}
    plan = co["plan"][idx]
    arr = np.array([base[p] for p in plan]) * rng.lognormal(0, 0.35, k)
    life = stage_ids(stages, 5)  # Active, Renewal due, Renewed, Churned
    renewal = co["renewal_date"][idx]
    days_to = (renewal - gen.today) / DAY
    stage = np.where(days_to <= 90, life[1], life[0])
    churned = co["lifecycle_stage"][idx] == "Former customer"
    stage = np.where(churned, life[3], stage)
    stage = np.where(~churned & (rng.random(k) < 0.05), life[2], stage)
    ends = (
        co["customer_since"][idx]
        + ((gen.today - co["customer_since"][idx]) // DAY // 365) * 365 * DAY
    )
    renewal = np.where(churned, ends, renewal)
    created = co["customer_since"][idx].astype("datetime64[s]") + 9 * 3600 * SECOND
    return {
        "id": np.arange(1, k + 1),
        "name": co["name"][idx] + " – " + plan + " subscription",
        "pipeline_id": np.full(k, 5),
        "stage_id": stage,
        "plan": plan,
        "arr": np.round(arr, -2),
        "start_date": co["customer_since"][idx],
        "renewal_date": renewal,
        "owner_id": co["csm_id"][idx],
        "created_at": created,
        "updated_at": created,
        "_company_id": co["id"][idx],
    }


def ledger(
    rng: np.random.Generator, today: np.datetime64, co: dict, subs: dict, stages: list[tuple]
) -> dict:
    """Every subscription line for retention (REN-2): each customer's base line (a former
    customer's ends on its last renewal), plus add-ons and up-sells starting in the last two
    years, renewals at a lower price, and some former customers who came back. ``rng`` is
    its own random stream, so the rest of the demo is drawn as before."""
    life = stage_ids(stages, 5)  # Active, Renewal due, Renewed, Churned
    churned = subs["stage_id"] == life[3]
    start = subs["start_date"].astype("datetime64[D]")
    end = np.where(churned, subs["renewal_date"].astype("datetime64[D]"), np.datetime64("NaT", "D"))
    end = np.where(churned & (end <= start), start + 90, end)  # left within its first year
    arr = subs["arr"].astype(float)
    k = len(arr)
    two_years = today - 730
    # Renewed at a lower price: the base line ends on its last anniversary, a cheaper one follows.
    years = ((today - start).astype(int) // 365).clip(min=0)
    years = np.maximum(years - rng.integers(0, 2, k), 0)  # the last renewal, or the one before
    last_renewal = start + years * 365
    down = ~churned & (years >= 1) & (last_renewal > two_years) & (rng.random(k) < 0.1)
    end = np.where(down, last_renewal, end)
    # Add-ons and up-sells: a second line on about a quarter of the customers still here.
    up = ~churned & (rng.random(k) < 0.25)
    up_start = np.maximum(start, two_years) + rng.integers(0, 700, k)
    up = up & (up_start < today)
    # Some former customers came back a month to half a year after they left.
    back_start = end + rng.integers(30, 200, k)
    back = churned & (rng.random(k) < 0.15) & (back_start < today)
    parts = [
        (np.arange(k), start, end, arr, subs["name"]),
        (np.flatnonzero(down), last_renewal[down], np.full(down.sum(), np.datetime64("NaT", "D")),
         np.round(arr[down] * rng.uniform(0.6, 0.9, down.sum()), -2), subs["name"][down] + " (renewed)"),
        (np.flatnonzero(up), up_start[up], np.full(up.sum(), np.datetime64("NaT", "D")),
         np.round(arr[up] * rng.uniform(0.1, 0.4, up.sum()), -2), subs["name"][up] + " – add-on"),
        (np.flatnonzero(back), back_start[back], np.full(back.sum(), np.datetime64("NaT", "D")),
         np.round(arr[back] * rng.uniform(0.7, 1.1, back.sum()), -2), subs["name"][back] + " (returned)"),
    ]  # fmt: skip
    of = np.concatenate([p[0] for p in parts])
    line_start = np.concatenate([p[1] for p in parts])
    line_end = np.concatenate([p[2] for p in parts])
    ended = ~np.isnat(line_end) & (line_end <= today)
    stage = np.where(ended, life[3], subs["stage_id"][of])
    created = line_start.astype("datetime64[s]") + 9 * 3600 * SECOND
    return {
        "id": np.arange(1, len(of) + 1),
        "name": np.concatenate([p[4] for p in parts]).astype(object),
        "pipeline_id": np.full(len(of), 5),
        "stage_id": stage,
        "plan": subs["plan"][of],
        "arr": np.concatenate([p[3] for p in parts]),
        "start_date": line_start,
        "end_date": line_end,
        "renewal_date": subs["renewal_date"][of],
        "owner_id": subs["owner_id"][of],
        "created_at": created,
        "updated_at": created,
        "_company_id": subs["_company_id"][of],
    }


def deals(gen: Gen, co: dict, subs: dict, stages: list[tuple]) -> dict:
    rng = gen.rng
    # A renewal deal for every subscription renewing in the next 120 days.
    renewal = subs["renewal_date"]
    due = np.flatnonzero(
        ((renewal - gen.today) / DAY <= 120) & (subs["stage_id"] != stage_ids(stages, 5)[3])
    )
    renew_stages = stage_ids(stages, 1)
    days_to = (renewal[due] - gen.today) / DAY
    r_stage = np.where(
        days_to < 30, renew_stages[2], np.where(days_to < 70, renew_stages[1], renew_stages[0])
    )
    # Expansion deals for a random fifth of the companies.
    n = len(co["id"])
    exp_idx = np.flatnonzero(rng.random(n) < 0.2)
    exp_stages = stage_ids(stages, 2)
    e_stage = exp_stages[rng.choice(5, len(exp_idx), p=[0.3, 0.25, 0.15, 0.2, 0.1])]
    e_close = gen.today + rng.integers(-120, 150, len(exp_idx)) * DAY
    company = np.concatenate([subs["_company_id"][due], co["id"][exp_idx]])
    k = len(company)
    cname = co["name"][company - 1]
    kind = np.concatenate(
        [
            np.full(len(due), "Renewal", dtype=object),
            np.full(len(exp_idx), "Expansion", dtype=object),
        ]
    )
    created = gen.days_ago(5, 200, k)
    return {
        "id": np.arange(1, k + 1),
        "name": cname + " – " + kind,
        "amount": np.round(
            np.concatenate([subs["arr"][due], rng.lognormal(9.3, 0.8, len(exp_idx))]), -2
        ),
        "deal_type": kind,
        "pipeline_id": np.concatenate([np.full(len(due), 1), np.full(len(exp_idx), 2)]),
        "stage_id": np.concatenate([r_stage, e_stage]),
        "close_date": np.concatenate([renewal[due], e_close]),
        "owner_id": co["csm_id"][company - 1],
        "company_id": company,
        "created_at": created,
        "updated_at": created,
    }


def services(gen: Gen, co: dict, stages: list[tuple]) -> dict:
    rng = gen.rng
    recent = (gen.today - co["customer_since"]) / DAY < 120
    pick = recent | (rng.random(len(co["id"])) < 0.12)
    idx = np.flatnonzero(pick)
    k = len(idx)
    onboarding = recent[idx]
    onb, prof = stage_ids(stages, 3), stage_ids(stages, 4)
    age = (gen.today - co["customer_since"][idx]) / DAY
    onb_stage = onb[np.clip((age // 25).astype(int), 0, 4)]
    prof_stage = prof[rng.integers(0, 4, k)]
    start = co["customer_since"][idx] + rng.integers(0, 10, k) * DAY
    created = start.astype("datetime64[s]") - rng.integers(1, 5 * 86400, k) * SECOND
    kind = np.where(
        onboarding,
        "Onboarding",
        gen.pick(["Implementation", "Training", "Health check", "Migration"], k),
    )
    return {
        "id": np.arange(1, k + 1),
        "name": co["name"][idx] + " – " + kind,
        "service_type": kind,
        "pipeline_id": np.where(onboarding, 3, 4),
        "stage_id": np.where(onboarding, onb_stage, prof_stage),
        "owner_id": co["csm_id"][idx],
        "company_id": co["id"][idx],
        "start_date": start,
        "target_date": start + rng.integers(45, 120, k) * DAY,
        "kickoff_notes": np.full(k, None, dtype=object),
        "created_at": created,
        "updated_at": created,
    }
