"""Health scores: profiles, the scoring engine, summaries and backtests (HS-1..HS-9)."""

from cs_core.health.engine import compute, explain_details, run, score_query
from cs_core.health.profiles import (
    Profile,
    ProfileError,
    get_profile,
    list_profiles,
    save_profile,
    validate,
)

__all__ = ["Profile", "ProfileError", "compute", "explain_details", "get_profile", "list_profiles", "run", "save_profile",
           "score_query", "validate"]  # fmt: skip
