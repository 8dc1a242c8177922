"""The printed monthly scorecard 员工月度考核表 (A4 portrait), from a ScorecardView.

Drawn with the document toolkit of services/fees/documents.py (the same embedded Noto Sans CJK subset, the same
cells and tables as receipts). Pure: a card in, PDF bytes out; the same card gives the same bytes. A card
not yet approved carries 未审批 across the page, so a draft can never pass for the approved record.
"""

from __future__ import annotations

from decimal import Decimal

from fpdf import FPDF

from services.appraisal.scorecards import APPROVED, ScorecardView, scorecard
from services.fees.documents import (
    _GREY,
    _RED,
    _RULE,
    _cell,
    _Col,
    _font,
    _new_pdf,
    _outline,
    _paragraph,
    _paragraph_height,
    _table_header,
    _table_row,
    _width,
    format_money,
)
from services.platform.auth import Actor
from services.platform.settings import get_setting

_W, _H, _M = 210.0, 297.0, 15.0
_BOTTOM = 280.0
_KPI_COLS = (
    _Col("考核指标", 52, "L"),
    _Col("范围", 18, "C"),
    _Col("实际", 26, "R"),
    _Col("目标", 26, "R"),
    _Col("权重", 16, "R"),
    _Col("达成", 20, "R"),
    _Col("得分", 22, "R"),
)
_ROW_H = 6.6
_SIZE = 9.5


def _money(value: Decimal) -> str:
    return format_money(value, symbol=True)


def card_pdf(*, actor: Actor, card_id: int) -> bytes:
    """A scorecard as the PDF its reader downloads, under the company name on the receipts."""
    return scorecard_pdf(scorecard(actor=actor, card_id=card_id), company=get_setting("company_name"))


def scorecard_pdf(card: ScorecardView, *, company: str) -> bytes:
    """One scorecard as a PDF: KPIs, score, attendance, incidents, rule results, money, comments, signatures."""
    pdf = _new_pdf(landscape_a5=False, title=f"员工月度考核表 {card.period} {card.staff_no}", created_at=card.built_at)
    pdf.add_page()
    y = _header(pdf, card, company)
    y = _section(pdf, y, "一、考核指标")
    y = _table_header(pdf, _M, y, _KPI_COLS, 7, _SIZE)
    top = y - 7
    for line in card.kpis:
        y = _table_row(pdf, _M, y, _KPI_COLS, (
            line.label, line.scope, line.shown_value, line.shown_target, f"{line.weight}%",
            "无数据" if line.achievement is None else f"{line.achievement * 100:.2f}%",
            "—" if line.score is None else f"{line.score:.2f}"), _ROW_H, _SIZE)
    if not card.kpis:
        y = _table_row(pdf, _M, y, (_Col("", sum(c.width for c in _KPI_COLS), "C"),), ("该岗位未设置考核指标",),
                       _ROW_H, _SIZE)
    _outline(pdf, _M, top, sum(c.width for c in _KPI_COLS), y)
    weighted = "—" if card.weighted_score is None else f"{card.weighted_score:.2f}"
    total = "—" if card.score is None else f"{card.score:.2f}"
    _cell(pdf, _M, y + 1.5, _W - 2 * _M, 7, f"加权得分 {weighted}　　加减分 {card.points:+.2f}　　总分 {total}",
          size=11, bold=True, align="R")
    y += 10
    y = _section(pdf, y, "二、考勤")
    a = card.attendance
    text = (f"应出勤 {a.get('working_days', 0)} 天，已录入 {a.get('recorded_days', 0)} 天；迟到 {a.get('late_count', 0)} 次"
            f"（{a.get('late_minutes', 0)} 分钟），早退 {a.get('early_count', 0)} 次，旷工 {a.get('absent_days', 0)} 天，"
            f"请假 {a.get('leave_days', 0)} 天。")
    y = _paragraph(pdf, _M + 2, y, _W - 2 * _M - 4, text, size=_SIZE, leading=5.4) + 1.5
    y = _section(pdf, y, "三、奖惩记录")
    if card.incidents:
        for d in card.incidents:
            y = _paragraph(pdf, _M + 2, y, _W - 2 * _M - 4,
                           f"{d['day']}　{d['type']}（{d['kind']}）　{d['note']}　登记：{d['recorded_by']}",
                           size=_SIZE, leading=5.4)
    else:
        y = _paragraph(pdf, _M + 2, y, _W - 2 * _M - 4, "本月无奖惩记录。", size=_SIZE, leading=5.4)
    y += 1.5
    y = _section(pdf, y, "四、奖惩规则结果")
    fired = [r for r in card.rules if r.triggered]
    for r in fired:
        y = _paragraph(pdf, _M + 2, y, _W - 2 * _M - 4, f"【{r.rule}】{r.explanation}", size=_SIZE, leading=5.4)
    if not fired:
        y = _paragraph(pdf, _M + 2, y, _W - 2 * _M - 4, "本月没有触发奖惩规则。", size=_SIZE, leading=5.4)
    y += 1.5
    money = (f"奖励 {_money(card.reward)}；扣款：考勤 {_money(card.attendance_deduction)}（其中迟到 "
             f"{_money(card.lateness_deduction)}），奖惩 {_money(card.incident_deduction)}，指标 "
             f"{_money(card.kpi_deduction)}；合计 {'+' if card.net >= 0 else '−'}{_money(abs(card.net))}"
             f"（基本工资 {_money(card.base_salary)}）。")
    y = _paragraph(pdf, _M + 2, y, _W - 2 * _M - 4, money, size=_SIZE, leading=5.4) + 1.5
    y = _section(pdf, y, "五、考核评语")
    comment = card.comments or "（未填写）"
    if y + _paragraph_height(pdf, _W - 2 * _M - 4, comment, size=_SIZE, leading=5.4) > _BOTTOM - 30:
        _footer(pdf, card)
        pdf.add_page()
        y = 20
    y = _paragraph(pdf, _M + 2, y, _W - 2 * _M - 4, comment, size=_SIZE, leading=5.4) + 6
    _signatures(pdf, card, max(y, _BOTTOM - 30))
    _footer(pdf, card)
    return bytes(pdf.output())


def _header(pdf: FPDF, card: ScorecardView, company: str) -> float:
    _cell(pdf, _M, 12, _W - 2 * _M, 7, company, size=12, bold=True, align="C")
    _cell(pdf, _M, 20, _W - 2 * _M, 10, "员工月度考核表", size=18, bold=True, align="C")
    y = 34
    fields = (f"考核月份：{card.period}", f"工号：{card.staff_no}", f"姓名：{card.name}",
              f"部门：{card.department or '—'}", f"岗位：{card.post or '—'}", f"状态：{card.status}")
    width = (_W - 2 * _M) / 3
    for i, text in enumerate(fields):
        _cell(pdf, _M + width * (i % 3), y + 6.5 * (i // 3), width, 6.5, text, size=10)
    if card.status != APPROVED:
        with pdf.local_context(fill_opacity=0.18), pdf.rotation(30, _W / 2, _H / 2):
            _font(pdf, 72, bold=True, color=_RED)
            text = "未审批"
            pdf.text(_W / 2 - _width(pdf, text) / 2, _H / 2, text)
    return y + 16


def _section(pdf: FPDF, y: float, title: str) -> float:
    _cell(pdf, _M, y, _W - 2 * _M, 7, title, size=11, bold=True)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.line(_M, y + 7, _W - _M, y + 7)
    return y + 8.5


def _signatures(pdf: FPDF, card: ScorecardView, y: float) -> None:
    built = f"编制：{card.built_by}　{card.built_at:%Y-%m-%d %H:%M}"
    approved = (f"审批：{card.approved_by}　{card.approved_at:%Y-%m-%d %H:%M}" if card.approved_at
                else "审批：（未审批）")
    _cell(pdf, _M, y, 90, 6.5, built, size=_SIZE)
    _cell(pdf, _M + 95, y, 85, 6.5, approved, size=_SIZE)
    _cell(pdf, _M, y + 12, 40, 6.5, "员工签字：", size=_SIZE)
    _cell(pdf, _M + 95, y + 12, 40, 6.5, "主管签字：", size=_SIZE)
    pdf.set_draw_color(*_RULE)
    pdf.line(_M + 20, y + 18, _M + 80, y + 18)
    pdf.line(_M + 115, y + 18, _W - _M, y + 18)


def _footer(pdf: FPDF, card: ScorecardView) -> None:
    taken = f"数据截至 {card.as_of:%Y-%m-%d %H:%M}；已审批的考核表不随之后的数据变化。"
    _cell(pdf, _M, _H - 12, _W - 2 * _M, 5, taken, size=8, color=_GREY)
