"""The shared import wizard (ui/kit/import_wizard.py): its pure parts, and the ticket-register wizard under AppTest.

The asset wizard's own AppTests are tests/ui/test_asset_import_wizard.py; both wizards are declarations
over the same `render`. No Streamlit script runs in the pure tests; ui.kit.i18n.t reads st.session_state,
which works in bare mode (language defaults to Chinese).
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from streamlit.testing.v1 import AppTest

from db.models import Ticket, Unit
from services.platform.auth import Role
from services.platform.errors import ValidationError
from services.platform.workbook import Problem, refusal
from services.tickets.ticket_import import TicketImportCounts
from tests.factories import count_rows, get_row, make_units, seed_ticket_policies, ticket_register
from tests.ui.wizards import XLSX, confirm_button, wizard_app
from ui.estate.asset_import import ASSETS
from ui.kit import import_wizard
from ui.kit.i18n import CATALOG
from ui.tickets.ticket_import import TICKETS, _calendar_notes

# --- pure parts --------------------------------------------------------------------------------------


def test_a_refusal_comes_back_as_the_problems_it_was_made_of():
    problems = [Problem(None, "文件", "找不到表头"), Problem(3, "房屋", "不存在"), Problem(12, "受理时间", "晚于现在"),
                Problem(12, "内容", "必填")]
    assert import_wizard.refusal_problems(refusal(problems)) == problems


def test_two_problems_in_one_cell_stay_one_row_with_both_messages():
    exc = refusal([Problem(4, "回访时间", "早于完成时间"), Problem(4, "回访时间", "没有回访方式")])
    assert import_wizard.refusal_problems(exc) == [Problem(4, "回访时间", "早于完成时间；没有回访方式")]


def test_a_refusal_without_a_row_number_is_a_whole_file_problem():
    exc = ValidationError(row_errors={"表头": {"类型": "缺少此列"}})
    assert import_wizard.refusal_problems(exc) == [Problem(None, "类型", "缺少此列")]


def test_problems_are_a_table_of_excel_row_column_and_message():
    frame = import_wizard.problems_frame([Problem(None, "文件", "表头下面没有数据行"), Problem(7, "类型", "应为报修/投诉")])
    assert list(frame.columns) == ["行号", "列", "问题"]
    assert frame.values.tolist() == [["整个文件", "文件", "表头下面没有数据行"], ["7", "类型", "应为报修/投诉"]]
    assert list(import_wizard.problems_frame([]).columns) == ["行号", "列", "问题"]


def test_the_ticket_figures_are_shown_in_two_rows_with_their_labels():
    counts = TicketImportCounts(rows=5, new=4, existing=1, closed=2, awaiting_revisit=1, in_progress=1)
    assert import_wizard.metric_rows(TICKETS, counts) == [
        [("新增工单", 4), ("已存在（跳过）", 1)], [("其中已关闭", 2), ("其中待回访", 1), ("其中处理中", 1)]]
    assert TICKETS.changes(counts) == 4 and TICKETS.changes(TicketImportCounts(rows=3, existing=3)) == 0


def test_a_cached_preview_is_reused_only_for_the_same_file_and_options():
    same = import_wizard.fingerprint(b"file", {"estate": "翠湖花园"})
    assert same == import_wizard.fingerprint(b"file", {"estate": "翠湖花园"})
    assert same != import_wizard.fingerprint(b"file", {"estate": "锦绣华庭"})
    assert same != import_wizard.fingerprint(b"other", {"estate": "翠湖花园"})


def test_the_calendar_notes_say_which_years_are_copied_or_weekends_only():
    counts = TicketImportCounts(rows=2, new=2, holiday_years=(2024, 2025), weekend_only_years=(2019,))
    assert _calendar_notes(SimpleNamespace(counts=counts)) == [
        "将从 chinese-calendar 补入 2024、2025 年的节假日", "注意：2019 年没有节假日资料，工作日按周一至周五计算"]
    nothing_new = TicketImportCounts(rows=2, existing=2, holiday_years=(2025,))
    assert _calendar_notes(SimpleNamespace(counts=nothing_new)) == []


@pytest.mark.parametrize("wizard", [ASSETS, TICKETS], ids=["assets", "tickets"])
def test_every_word_a_wizard_names_is_in_the_catalog(wizard):
    assert wizard.label_keys <= set(CATALOG)


# --- the ticket wizard under AppTest ----------------------------------------------------------------


def wizard(role: Role = Role.MANAGER) -> AppTest:
    return wizard_app("ui.tickets.ticket_import:ticket_import_wizard", role)


@pytest.fixture
def register_desk(sqlite_db) -> int:
    """The seed SLA table and 测试小区 with 1-1-101 and 1-1-102; returns the first unit's estate id."""
    seed_ticket_policies()
    units = make_units(2)
    return get_row(Unit, units[0]).estate_id


def repair(**over) -> dict:
    row = {"小区": "测试小区", "房屋": "1-1-101", "类型": "报修", "渠道": "电话", "报事人": "张伟",
           "联系电话": "13800138000", "内容": "厨房水管漏水", "受理时间": "2025-03-01 09:30",
           "完成时间": "2025-03-01 15:00", "回访时间": "2025-03-02 10:00", "回访方式": "电话", "回访结果": "满意"}
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def test_a_clean_register_is_previewed_then_imported_all_at_once(register_desk):
    at = wizard()
    assert not at.exception
    assert [b.label for b in at.get("download_button")] == ["下载导入模板"]
    data = ticket_register([repair(), repair(房屋="1-1-102", 类型="咨询", 内容="物业费怎么交", 回访时间=None,
                                            回访方式=None, 回访结果=None)])
    at.file_uploader[0].set_value(("报事登记.xlsx", data, XLSX))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "工作表“历史工单”，共 2 行数据" in [c.value for c in at.caption]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["新增工单"], metrics["其中已关闭"]) == ("2", "2")
    assert at.dataframe[0].value["行号"].tolist() == [3, 4]  # title row, header row, then the data
    assert count_rows(Ticket) == 0  # a preview writes nothing
    confirm_button(at).click()
    at.run()
    assert not at.exception
    assert count_rows(Ticket) == 2
    assert any("新增工单 2" in s.value for s in at.success)
    assert any("导入完成" in t.value for t in at.toast)
    assert at.file_uploader[0].value is None  # a fresh uploader for the next file


def test_the_same_register_again_has_nothing_to_import(register_desk):
    data = ticket_register([repair()])
    at = wizard()
    at.file_uploader[0].set_value(("报事登记.xlsx", data, XLSX))
    at.run()
    confirm_button(at).click()
    at.run()
    at.file_uploader[0].set_value(("报事登记.xlsx", data, XLSX))
    at.run()
    assert "无需导入" in at.info[0].value
    assert confirm_button(at).disabled
    assert count_rows(Ticket) == 1


def test_problems_are_listed_by_excel_row_and_nothing_can_be_imported(register_desk):
    at = wizard()
    data = ticket_register([repair(), repair(房屋="9-9-999", 内容="另一件事"),
                            repair(内容="回访早于完成", 回访时间="2025-03-01 12:00")])
    at.file_uploader[0].set_value(("报事登记.xlsx", data, XLSX))
    at.run()
    assert at.error and "2 个问题" in at.error[0].value
    problems = at.dataframe[0].value
    assert problems["行号"].tolist() == ["4", "5"]
    assert problems["列"].tolist() == ["房屋", "回访时间"]
    assert confirm_button(at).disabled
    assert count_rows(Ticket) == 0


def test_a_register_that_went_stale_is_refused_at_commit_with_its_rows(register_desk, monkeypatch):
    at = wizard()
    at.file_uploader[0].set_value(("报事登记.xlsx", ticket_register([repair()]), XLSX))
    at.run()
    monkeypatch.setattr("services.tickets.ticket_import._plan", _stale_plan())
    confirm_button(at).click()
    at.run()
    assert not at.exception
    assert "没有写入任何数据" in at.error[0].value
    assert at.dataframe[-1].value.values.tolist() == [["3", "房屋", "已停用"]]
    assert count_rows(Ticket) == 0


def _stale_plan():
    """services.tickets.ticket_import._plan as if the unit had been disabled between preview and commit."""
    from services.tickets import ticket_import

    real = ticket_import._plan

    def plan(session, rows, progress):
        result = real(session, rows, progress)
        result.problems.append(Problem(3, "房屋", "已停用"))
        return result

    return plan


@pytest.mark.parametrize("role", [Role.SERVICE, Role.CLERK, Role.CASHIER, Role.ENGINEER])
def test_roles_without_the_permission_see_no_uploader(sqlite_db, role):
    at = wizard(role)
    assert not at.exception and not at.file_uploader and "不能导入历史工单" in at.info[0].value
