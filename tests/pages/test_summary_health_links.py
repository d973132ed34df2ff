"""The Summary's "[N] customers" links (SUM-5): each opens the Customers tab on the user's own
customers of that category and profile, exactly those rows."""

from cs_core import db
from cs_core.health import reports as health_reports
from cs_core.health.profiles import list_profiles
from tests.conftest import CSM, NOW
from tests.pages.conftest import plain


def test_n_customers_opens_the_customers_tab_on_exactly_those(app, demo_path):
    cur = db.shared_workspace(demo_path).cursor()
    profile = next(
        p for p in list_profiles(cur, object_name="companies", live_only=True) if p.name == "SMB"
    )
    figures = health_reports.summary(cur, profile, day=NOW.date(), owner_id=CSM)
    count = figures.categories["at_risk"][0]
    assert count > 0
    at = app(CSM)
    link = next(e.proto for e in at.get("page_link")
                if e.proto.query_string == "health=at_risk&profile=SMB")  # fmt: skip
    assert (link.page, link.label) == ("customers", f"{count:,} customers")
    at.switch_page("app_pages/customers.py")
    at.query_params["health"] = "at_risk"
    at.query_params["profile"] = "SMB"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("whose health is **At risk** (profile SMB)" in plain(i.value) for i in at.info)
    assert f"**{count:,}** companies" in [m.value for m in at.markdown]
