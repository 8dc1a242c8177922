"""Coming back to a tab of /appraisal: the month chosen in 我的考核 is put back, and nothing a script may not set.

Found by the soak (bench/soak.py): 我的考核 kept every widget under the prefix `ap:mine`, which also covered the
scorecard's PDF download button (`ap:mine:pdf:<id>`); putting that button's value back on the return raised
StreamlitValueAssignmentNotAllowedError, shown to the user as 「抱歉，系统出了点问题」.
"""

from __future__ import annotations

from services.appraisal import scorecards as appraisal
from tests.pages.conftest import open_tab
from tests.pages.test_appraisal_page import _actor, _ok, _page


def test_my_scorecards_can_be_left_and_opened_again_on_the_month_chosen(demo_db):
    own = appraisal.own_scorecards(actor=_actor("manager"))
    assert len(own) > 1
    older = own[1][0]  # not the newest, which the tab opens by default
    at = _page("manager", "我的考核")
    at.session_state["ap:mine"] = older  # as picking it in the box does
    at.run()
    _ok(at)
    for tab in ("趋势图表", "我的考核"):
        open_tab(at, tab)
        _ok(at)  # no exception, no error on screen
    assert at.session_state["ap:mine"] == older
    assert any(own[1][1] in h.value for h in at.subheader)
