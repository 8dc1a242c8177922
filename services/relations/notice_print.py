"""The printed notices of 客户关系: a 公告 (A4) and the 失物招领启事 (A4, the quarterly list or one valuable item).

Pure functions from frozen dataclasses to PDF bytes, drawn with the document toolkit of services/fees/documents.py
(the same embedded Noto Sans CJK subset, cells, wrapping and tables as receipts and dunning notices; appraisal's
scorecard uses it the same way). No database, no Streamlit: the services build the document and hand it here.

Invariants:
- a 公告 that is not 已发布 cannot pass for a posted one: a draft carries 草稿·未发布 across every page, a
  withdrawn or archived notice 已撤回 / 已归档; a draft has no number yet and prints 编号：（发布时生成）;
- every page is A4 portrait; a body or an item list longer than one page continues on the next page under a
  续 header with 第 n 页 / 共 m 页, and the signature block (company, the service centre, the date) is never split
  from the last lines;
- a 招领启事 never prints where an item is kept nor who found it (a public board is no place for either): only
  its number, what it is, its features, when and where it was found, the deadline and where to claim it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from fpdf import FPDF

from services.fees.documents import (
    _GREY,
    _RED,
    _cell,
    _Col,
    _double_rule,
    _font,
    _new_pdf,
    _outline,
    _pages,
    _spanning_row,
    _table_header,
    _table_row,
    _width,
    _wrap,
)
from services.platform.clock import SHANGHAI

__all__ = ["FoundItemLine", "LostNoticeDoc", "NoticeDoc", "cn_date", "lost_notice_pdf", "notice_pdf"]

_W, _H, _M = 210.0, 297.0, 20.0
_BODY = 12.0  # pt
_LEADING = 7.6  # mm
_BOTTOM = 275.0  # text ends here; page numbers below
_SIGN_H = 32.0  # the signature block: company, centre, date
_INDENT = "\u3000\u3000"  # two full-width spaces, the first-line indent of a Chinese paragraph


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _created(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), SHANGHAI)


def _indented(text: str) -> str:
    """Each paragraph of `text` with the two-character first-line indent (unless the writer put one)."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        stripped = line.strip()
        out.append("" if not stripped else (line if line[:1] in (" ", "\u3000") else _INDENT + stripped))
    while out and not out[-1]:
        out.pop()
    return "\n".join(out)


def _stamp(pdf: FPDF, text: str) -> None:
    with pdf.local_context(fill_opacity=0.16), pdf.rotation(30, _W / 2, _H / 2):
        _font(pdf, 64, bold=True, color=_RED)
        pdf.text(_W / 2 - _width(pdf, text) / 2, _H / 2, text)


def _page_number(pdf: FPDF, label: str, page: int, pages: int) -> None:
    if pages > 1:
        _cell(pdf, _M, _H - 14, _W - 2 * _M, 5, f"{label}　第 {page} 页 / 共 {pages} 页", size=8, align="C",
              color=_GREY)


def _signature(pdf: FPDF, y: float, company: str, centre: str, day: date) -> None:
    """Right-aligned: the company, the service centre that posts it (its seal goes here), the date."""
    x, w = _W - _M - 95, 95.0
    lines = [company] if centre == company else [company, centre]
    for n, text in enumerate([*lines, cn_date(day)]):
        _cell(pdf, x, y + 8.5 * n, w, 7.5, text, size=_BODY, align="R")


# ---------------------------------------------------------------- 公告


@dataclass(frozen=True)
class NoticeDoc:
    """One 公告 as printed."""

    company: str
    number: str  # "" while a draft
    title: str
    kind: str
    body: str
    audience: str  # who it is addressed to: "翠湖花园 1栋、2栋" or "" for every estate
    centre: str  # the signature line: "翠湖花园物业服务中心", or "物业服务中心" for several estates
    publish_on: date
    until_on: date | None
    status: str  # 草稿 / 已发布 / 已撤回 / 已归档

    def __post_init__(self) -> None:
        if not self.title.strip() or not self.body.strip():
            raise ValueError("公告：标题和正文不能为空")
        if self.until_on is not None and self.until_on < self.publish_on:
            raise ValueError(f"公告 {self.title}：截止日期 {self.until_on} 早于发布日期 {self.publish_on}")


_STAMPS = {"草稿": "草稿·未发布", "已撤回": "已撤回", "已归档": "已归档"}


def notice_pdf(doc: NoticeDoc) -> bytes:
    """The 公告 as an A4 PDF: company, title, number and kind, the salutation, the body, the period, the signature."""
    pdf = _new_pdf(landscape_a5=False, title=f"公告 {doc.number or '草稿'} {doc.title}",
                   created_at=_created(doc.publish_on))
    width = _W - 2 * _M
    _font(pdf, 20, bold=True)
    title_lines = _wrap(pdf, doc.title.strip(), width - 10)
    title_w = min(width, max(_width(pdf, line) for line in title_lines) + 16)
    _font(pdf, _BODY)
    lines = _wrap(pdf, _indented(doc.body), width)
    if doc.until_on is not None:
        lines += ["", f"{_INDENT}公告期限：{cn_date(doc.publish_on)} 至 {cn_date(doc.until_on)}。"]
    # laid out first, drawn second: every page is drawn whole (fpdf2 does not go back to a page reliably)
    body_top = 27.0 + 10 * len(title_lines) + 27
    cont_top = 30.0
    pages: list[list[str]] = [[]]
    y = body_top
    for i, line in enumerate(lines):
        # the last lines go to the next page with the signature rather than leaving it alone there
        room = _BOTTOM - (_SIGN_H + 4 if i >= len(lines) - 2 else 0)
        if y + _LEADING > room:
            pages.append([])
            y = cont_top
        pages[-1].append(line)
        y += _LEADING
    if y + 6 + _SIGN_H > _BOTTOM:
        pages.append([])
        y = cont_top
    sign_y = y + 8
    stamp = _STAMPS.get(doc.status)
    for n, page_lines in enumerate(pages, 1):
        pdf.add_page()
        if n == 1:
            _cell(pdf, _M, 16, width, 8, doc.company, size=13, bold=True, align="C")
            top = 27.0
            for line in title_lines:
                _cell(pdf, _M, top, width, 10, line, size=20, bold=True, align="C")
                top += 10
            _double_rule(pdf, _W / 2 - title_w / 2, _W / 2 + title_w / 2, top + 1)
            top += 5
            _cell(pdf, _M, top, width / 2, 6, f"编号：{doc.number or '（发布时生成）'}", size=10, color=_GREY)
            _cell(pdf, _M + width / 2, top, width / 2, 6, f"类别：{doc.kind}", size=10, color=_GREY, align="R")
            audience = f"尊敬的{doc.audience}业主、住户：" if doc.audience else "尊敬的各位业主、住户："
            _cell(pdf, _M, top + 12, width, 8, audience, size=12.5, bold=True)
            y = body_top
        else:
            _cell(pdf, _M, 16, width, 7, f"{doc.company} 公告（续）：{doc.title}", size=11, bold=True, align="C",
                  color=_GREY)
            y = cont_top
        _font(pdf, _BODY)
        for line in page_lines:
            pdf.set_xy(_M, y)
            pdf.cell(width, _LEADING, line)
            y += _LEADING
        if n == len(pages):
            _signature(pdf, sign_y, doc.company, doc.centre, doc.publish_on)
        if stamp:
            _stamp(pdf, stamp)
        _page_number(pdf, doc.number or "草稿", n, len(pages))
    return bytes(pdf.output())


# ---------------------------------------------------------------- 失物招领启事


@dataclass(frozen=True)
class FoundItemLine:
    number: str  # 登记号 SW2026-0042: what the owner cites at the counter
    what: str
    description: str
    found_on: date
    found_place: str


@dataclass(frozen=True)
class LostNoticeDoc:
    """A 招领启事: the quarter's unclaimed items of one estate (quarter set), or one valuable item (quarter "")."""

    company: str
    estate: str
    quarter: str  # "2026年第三季度"; "" for the notice of one item posted as soon as it was found
    items: tuple[FoundItemLine, ...]
    deadline: date  # claim by this day
    contact: str  # where to claim: the service centre, its place and phone
    issued_on: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", tuple(self.items))
        if not self.items:
            raise ValueError(f"招领启事 {self.estate} {self.quarter}：没有待认领的物品")
        if self.deadline < self.issued_on:
            raise ValueError(f"招领启事 {self.estate}：认领期限 {self.deadline} 早于启事日期 {self.issued_on}")


_L_COLS = (
    _Col("序号", 10, "C"),
    _Col("登记号", 26, "C"),
    _Col("物品", 24, "L"),
    _Col("特征描述", 58, "L"),
    _Col("拾获日期", 22, "C"),
    _Col("拾获地点", 30, "L"),
)
_L_ROW_H, _L_SIZE = 7.0, 9.5


def _lost_texts(doc: LostNoticeDoc) -> tuple[str, str]:
    if doc.quarter:
        first = min(item.found_on for item in doc.items)
        intro = (f"{_INDENT}以下物品系本物业服务中心自{cn_date(first)}以来在{doc.estate}内拾获，或由业主、住户交来"
                 f"代为保管的失物，截至{doc.quarter}末仍无人认领，共 {len(doc.items)} 件，现集中公告如下：")
    else:
        item = doc.items[0]
        intro = (f"{_INDENT}本物业服务中心于{cn_date(item.found_on)}在{doc.estate}{item.found_place}"
                 f"拾获{item.what}，现暂由物业服务中心代为保管。物品情况如下：")
    closing = (f"{_INDENT}请失主于{cn_date(doc.deadline)}前（含当日），携带本人有效身份证件到物业服务中心认领；"
               "认领时请说明物品的特征，经工作人员核对无误并登记后领回。代领的，须同时出示失主和代领人的有效证件。\n"
               f"{_INDENT}逾期无人认领的物品，本中心将按规定上交派出所、捐赠或销毁处理，届时不再另行通知。"
               "感谢拾获物品并主动交还的业主、住户和员工！")
    return intro, closing


def lost_notice_pdf(doc: LostNoticeDoc) -> bytes:
    """The 失物招领启事 as an A4 PDF: the intro, the table of items (continued on further pages), the claim rules."""
    title = "失 物 招 领 启 事" if doc.quarter else "失 物 招 领"
    pdf = _new_pdf(landscape_a5=False, title=f"失物招领 {doc.estate} {doc.quarter}".strip(),
                   created_at=_created(doc.issued_on))
    width = _W - 2 * _M
    intro, closing = _lost_texts(doc)
    _font(pdf, _BODY)
    intro_lines = _wrap(pdf, intro, width)
    closing_lines = _wrap(pdf, closing, width) + ["", f"认领地点：{doc.contact}"]
    table_top = 58 + len(intro_lines) * _LEADING + 3
    after_table = len(closing_lines) * _LEADING + 4 + _SIGN_H
    cap_last = int((_BOTTOM - after_table - table_top - _L_ROW_H - 1) / _L_ROW_H)
    cap_more = int((_BOTTOM - table_top - _L_ROW_H - 1) / _L_ROW_H) - 1
    cont_top = 30.0
    cont_last = int((_BOTTOM - after_table - cont_top - _L_ROW_H - 1) / _L_ROW_H)
    cont_more = int((_BOTTOM - cont_top - _L_ROW_H - 1) / _L_ROW_H) - 1
    rows = [(str(n), item.number, item.what, item.description or "—", item.found_on.isoformat(), item.found_place)
            for n, item in enumerate(doc.items, 1)]
    if len(rows) <= cap_last:
        spans = [(0, len(rows))]
    else:
        first = max(cap_more, 1)
        spans = [(0, first)] + [(a + first, b + first) for a, b in _pages(len(rows) - first, cont_last, cont_more)]
    for page_no, (start, end) in enumerate(spans, 1):
        pdf.add_page()
        if page_no == 1:
            _cell(pdf, _M, 16, width, 8, doc.company, size=13, bold=True, align="C")
            _font(pdf, 22, bold=True)
            title_w = _width(pdf, title)
            _cell(pdf, _M, 26, width, 12, title, size=22, bold=True, align="C")
            _double_rule(pdf, _W / 2 - title_w / 2 - 8, _W / 2 + title_w / 2 + 8, 38.5)
            scope = f"小区：{doc.estate}" + (f"　　期间：{doc.quarter}" if doc.quarter else "")
            _cell(pdf, _M, 43, width * 0.65, 6, scope, size=10, color=_GREY)
            _cell(pdf, _M + width * 0.65, 43, width * 0.35, 6, f"启事日期：{cn_date(doc.issued_on)}", size=10,
                  color=_GREY, align="R")
            y = 56.0
            _font(pdf, _BODY)
            for line in intro_lines:
                pdf.set_xy(_M, y)
                pdf.cell(width, _LEADING, line)
                y += _LEADING
            top = y + 3
        else:
            _cell(pdf, _M, 16, width, 7, f"{doc.company} 失物招领启事（续） {doc.estate} {doc.quarter}".strip(),
                  size=11, bold=True, align="C", color=_GREY)
            top = cont_top
        y = _table_header(pdf, _M, top, _L_COLS, _L_ROW_H + 1, _L_SIZE)
        for cells in rows[start:end]:
            y = _table_row(pdf, _M, y, _L_COLS, cells, _L_ROW_H, _L_SIZE)
        last = page_no == len(spans)
        if not last:
            y = _spanning_row(pdf, _M, y, width, _L_ROW_H, "（续下页）", _L_SIZE - 1)
        _outline(pdf, _M, top, width, y)
        if last:
            y += 5
            _font(pdf, _BODY)
            for line in closing_lines:
                pdf.set_xy(_M, y)
                pdf.cell(width, _LEADING, line)
                y += _LEADING
            _signature(pdf, y + 4, doc.company, f"{doc.estate}物业服务中心", doc.issued_on)
        _page_number(pdf, "失物招领启事", page_no, len(spans))
    return bytes(pdf.output())
