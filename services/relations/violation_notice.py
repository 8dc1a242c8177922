"""整改通知书: the rectification notice of a violation, printed as one A4 page with a tear-off receipt for the owner's
signature.

Invariants: only a notice that was issued (it has its number and day) is printed, and it prints what the register
holds — the same violation gives the same bytes (the PDF's date is the notice's day), so a reprint is identical. The
drawing helpers, the CJK font and the company name are the fee documents' (services/fees/documents.py), not copies.
"""

from __future__ import annotations

from datetime import date, datetime, time

from services.fees.documents import _cell, _double_rule, _font, _new_pdf, _paragraph, _width
from services.platform.auth import Actor, require
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict
from services.platform.settings import get_setting
from services.relations.inspections import ViolationView, violation

_W, _M = 210.0, 22.0
_BODY, _LEADING = 11.5, 7.2


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def notice_text(v: ViolationView) -> tuple[str, str]:
    """(to whom, the body) of the notice: the words the owner reads."""
    to = f"{v.estate} {v.unit} 业主（住户）：" if v.unit else "相关责任人："
    assert v.notice_on is not None  # only an issued notice is printed
    body = (f"　　经我服务中心于{_cn_date(v.found_on)}巡查发现，{v.place}存在以下违章行为：{v.description}"
            f"（{v.kind}）。\n"
            "　　该行为违反了《临时管理规约》及本小区装饰装修管理规定，影响房屋安全、公共秩序或其他业主的合法权益。"
            f"请您于{_cn_date(v.deadline_on)}前自行整改完毕，并通知物业服务中心复查。\n"
            "　　逾期未整改的，物业服务中心将依据有关规定报请相关行政执法部门处理，由此产生的后果由您承担。"
            "如有疑问，请到物业服务中心咨询。\n　　特此通知。")
    return to, body


def notice_pdf(*, actor: Actor, violation_id: int) -> bytes:
    """The 整改通知书 of an issued notice, as PDF bytes."""
    require(actor, "violations.manage")
    v = violation(actor=actor, violation_id=violation_id)
    if not v.notice_no or v.notice_on is None:
        raise Conflict("该违章尚未发出整改通知书：请先发出通知书（生成编号）后再打印")
    company = get_setting("company_name")
    pdf = _new_pdf(landscape_a5=False, title=f"整改通知书 {v.notice_no}",
                   created_at=datetime.combine(v.notice_on, time(9, 0), SHANGHAI))
    pdf.add_page()
    width = _W - 2 * _M
    _cell(pdf, _M, 18, width, 8, company, size=14, bold=True, align="C")
    title = "整 改 通 知 书"
    _font(pdf, 22, bold=True)
    title_w = _width(pdf, title)
    _cell(pdf, _M, 27, width, 12, title, size=22, bold=True, align="C")
    _double_rule(pdf, _W / 2 - title_w / 2 - 8, _W / 2 + title_w / 2 + 8, 39.5)
    _cell(pdf, _M, 44, width, 6, f"编号：{v.notice_no}", size=10, align="R")
    to, body = notice_text(v)
    _cell(pdf, _M, 55, width, 8, to, size=12.5, bold=True)
    y = _paragraph(pdf, _M, 65, width, body, size=_BODY, leading=_LEADING) + 10
    _cell(pdf, _W - _M - 90, y, 90, 7, company, size=_BODY, align="R")
    _cell(pdf, _W - _M - 90, y + 8, 90, 7, _cn_date(v.notice_on), size=_BODY, align="R")
    y += 30
    pdf.set_draw_color(150, 150, 150)
    pdf.set_dash_pattern(dash=2, gap=1.5)
    pdf.line(_M - 6, y, _W - _M + 6, y)
    pdf.set_dash_pattern()
    _cell(pdf, _M, y + 2, width, 5, "（沿此线剪下，签收联由物业服务中心留存）", size=8, align="C", color=(110, 110, 110))
    y += 12
    _cell(pdf, _M, y, width, 8, f"签收联　　编号：{v.notice_no}", size=12, bold=True)
    _cell(pdf, _M, y + 10, width, 7, f"违章地点：{v.place}", size=_BODY)
    _cell(pdf, _M, y + 18, width, 7, f"违章类型：{v.kind}　　整改期限：{_cn_date(v.deadline_on)}", size=_BODY)
    _cell(pdf, _M, y + 30, width / 2, 7, "签收人：________________", size=_BODY)
    _cell(pdf, _M + width / 2, y + 30, width / 2, 7, "签收日期：______年____月____日", size=_BODY)
    return bytes(pdf.output())
