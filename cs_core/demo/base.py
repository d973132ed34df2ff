"""The demo generator's clock, random source and scales."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from cs_core import clock

DAY = np.timedelta64(1, "D")
SECOND = np.timedelta64(1, "s")


@dataclass(frozen=True)
class Scale:
    companies: int
    contacts: int
    activities: int
    tasks: int
    extra_csms: int


SCALES = {
    "demo": Scale(companies=400, contacts=2_000, activities=30_000, tasks=1_500, extra_csms=0),
    "S": Scale(10_000, 50_000, 200_000, 50_000, extra_csms=40),
    "M": Scale(100_000, 500_000, 2_000_000, 500_000, extra_csms=200),
    "L": Scale(1_000_000, 5_000_000, 20_000_000, 5_000_000, extra_csms=1_000),
}


def np_now(now: datetime) -> np.datetime64:
    return np.datetime64(clock.utc_naive(now).replace(microsecond=0), "s")


class Gen:
    """Holds the random generator and the clock while the tables are drawn."""

    def __init__(self, seed: int, now: datetime):
        self.rng = np.random.default_rng(seed)
        self.now = np_now(now)
        self.today = self.now.astype("datetime64[D]")

    def pick(self, items, n, p=None):
        return np.asarray(items, dtype=object)[self.rng.choice(len(items), size=n, p=p)]

    def days_ago(self, low, high, n):
        """Timestamps uniformly between ``high`` and ``low`` days before now."""
        secs = self.rng.integers(int(low * 86400), int(high * 86400), size=n)
        return self.now - secs * SECOND


def skew(rng: np.random.Generator, n: int) -> np.ndarray:
    """Weights that make some companies much more active than others."""
    weights = rng.lognormal(0, 1, n)
    return weights / weights.sum()
