"""The Summary's reports (SUM-7): up to five, in the order added; a sixth is refused; the user
chooses their own, an admin viewing as them may too, nobody else."""

import pytest

from cs_core import summary_reports
from cs_core.reports import saved
from cs_core.summary_reports import SummaryReportError
from cs_core.users import PermissionDenied
from tests.conftest import CSM, GROWTH_CSM, SETTINGS_MANAGER


def test_five_reports_in_order_a_sixth_refused_and_removal(demo_con, user):
    manager, csm = user(SETTINGS_MANAGER), user(CSM)
    ids = [s.id for s in saved.list_saved(demo_con)]  # the demo's seven starter reports
    for report_id in ids[:5]:
        summary_reports.add(demo_con, actor=csm, user_id=CSM, report_id=report_id)
    assert [s.id for s in summary_reports.chosen(demo_con, CSM)] == ids[:5]
    with pytest.raises(SummaryReportError) as refused:
        summary_reports.add(demo_con, actor=csm, user_id=CSM, report_id=ids[5])
    assert refused.value.problems == [
        "A Summary shows at most 5 reports: remove one to add another."
    ]
    with pytest.raises(SummaryReportError, match="on the Summary already"):
        summary_reports.add(demo_con, actor=csm, user_id=CSM, report_id=ids[0])
    summary_reports.remove(demo_con, actor=csm, user_id=CSM, report_id=ids[1])
    summary_reports.add(demo_con, actor=csm, user_id=CSM, report_id=ids[5])
    assert [s.id for s in summary_reports.chosen(demo_con, CSM)] == [ids[0], *ids[2:6]]
    with pytest.raises(PermissionDenied):  # another CSM's Summary is not theirs to change
        summary_reports.add(demo_con, actor=user(GROWTH_CSM), user_id=CSM, report_id=ids[6])
    summary_reports.remove(
        demo_con, actor=manager, user_id=CSM, report_id=ids[0]
    )  # viewing as Lucas
    saved.delete(demo_con, actor=manager, report_id=ids[2])  # a deleted report leaves every Summary
    assert [s.id for s in summary_reports.chosen(demo_con, CSM)] == ids[3:6]
    assert summary_reports.chosen(demo_con, GROWTH_CSM) == []
