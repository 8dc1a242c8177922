"""Printed documents of the fees module: receipts 收款收据, refund vouchers 退款单 and dunning notices 催缴通知单.

Pure functions from frozen dataclasses to PDF bytes; no database access, no Streamlit.
The fees services build a `ReceiptDoc` / `DunningNotice` from their records and hand
it here, so the look of a document can be tested and changed without the data model.

Invariants:
- Money is `Decimal` exact to the cent everywhere; a value with a non-zero third
  decimal, a float or a NaN is refused (ValueError / TypeError), never rounded here.
- A receipt balances: total == sum(lines) + credit_added - credit_used, where `total`
  is the money actually received, `credit_added` the part kept as 预存 and
  `credit_used` the 预存 spent on the lines. A notice's total is the sum of its lines.
  An inconsistent document raises ValueError instead of printing a wrong figure.
- The amount in capitals 大写 follows the People's Bank rules for 票据 (see
  `amount_in_words`); the figures read ¥1,234.50.
- Times print in Asia/Shanghai; business dates print as given.
- The CJK font is Debian's fonts-noto-cjk (Noto Sans CJK SC, a subset embedded in every
  PDF). Only the font lookup is cached (per process, immutable); documents never are.
  No font -> DomainError telling the admin to install fonts-noto-cjk.
- The same document gives the same bytes (the PDF creation date is the document's own
  date), so a reprint is identical to the first print. A refund voucher printed before its money
  is paid out leaves the cashier and the payout time as blank lines to fill in by hand.
- A receipt (A5 landscape) whose lines do not fit one page continues on further pages
  with the header repeated; the total is on the last page. A notice (A4) is one page per
  unit: its rows shrink, then runs of consecutive months of one item are merged into one
  range row, and only a unit with more distinct rows than that continues on a second page.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import cast

from fpdf import FPDF

from services.platform.clock import SHANGHAI
from services.platform.errors import DomainError

__all__ = [
    "DunningNotice",
    "NoticeLine",
    "ReceiptDoc",
    "ReceiptLine",
    "RefundDoc",
    "amount_in_words",
    "cjk_font",
    "dunning_notices_pdf",
    "format_money",
    "receipt_pdf",
    "refund_pdf",
]

# ---------------------------------------------------------------- amounts in capitals

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_SMALL_UNITS = ("", "拾", "佰", "仟")
_SECTION_UNITS = ("", "万", "亿")
_LIMIT = Decimal(10) ** 12


def _check_money(value: object, label: str) -> Decimal:
    """The value as an exact Decimal with at most two meaningful decimals, else TypeError/ValueError."""
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{label}：金额应为 Decimal，不接受 {type(value).__name__}")
    amount = Decimal(value)
    if not amount.is_finite():
        raise ValueError(f"{label}：金额不是有限数")
    sign, digits, exponent = amount.as_tuple()
    assert isinstance(exponent, int)
    if exponent < -2 and any(digits[exponent + 2 :]):
        raise ValueError(f"{label}：金额最多两位小数（{amount}）")
    return amount


def amount_in_words(amount: Decimal) -> str:
    """Chinese financial capitals for a money amount: Decimal("1004.05") -> "壹仟零肆元零伍分"."""
    # Rules (中国人民银行《正确填写票据和结算凭证的基本规定》), with the choices where the rules allow two:
    # - 拾 always carries its digit: 10 -> 壹拾元整, 100000 -> 壹拾万元整.
    # - a run of zeros between two non-zero digits is one 零, also across the 万/亿 boundary:
    #   1004 -> 壹仟零肆, 107000 -> 壹拾万零柒仟, 100010000.01 -> 壹亿零壹万元零壹分; a section that is
    #   all zeros drops its 万: 100000001 -> 壹亿零壹; trailing zeros give no 零: 壹拾万元整.
    # - 角 zero and 分 non-zero: 零 after 元 (1004.05 -> 壹仟零肆元零伍分), none without yuan (0.05 -> 伍分).
    # - 元 digit zero and 角 non-zero: no 零 (1680.32 -> 壹仟陆佰捌拾元叁角贰分; the rules allow both).
    # - 整 ends an amount without 分: after 元 (壹拾元整) or 角 (伍角整); 零 alone is 零元整.
    # - negative: 负 in front; -0 is 零元整. Amounts from 1e12 up and a third decimal raise ValueError.
    amount = _check_money(amount, "大写金额")
    if abs(amount) >= _LIMIT:
        raise ValueError(f"大写金额：金额应小于一万亿元（{amount}）")
    cents = int(amount * 100)
    sign = "负" if cents < 0 else ""
    cents = abs(cents)
    if cents == 0:
        return "零元整"
    yuan, rest = divmod(cents, 100)
    jiao, fen = divmod(rest, 10)
    parts = [sign]
    if yuan:
        parts.append(_integer_words(yuan) + "元")
    if jiao:
        parts.append(_DIGITS[jiao] + "角")
    elif fen and yuan:
        parts.append("零")
    parts.append(_DIGITS[fen] + "分" if fen else "整")
    return "".join(parts)


def _integer_words(number: int) -> str:
    text = str(number)
    out: list[str] = []
    pending_zero = False
    for index, char in enumerate(text):
        power = len(text) - 1 - index
        small, section = power % 4, power // 4
        digit = int(char)
        if digit == 0:
            pending_zero = True
        else:
            if pending_zero:
                out.append("零")
                pending_zero = False
            out.append(_DIGITS[digit] + _SMALL_UNITS[small])
        if small == 0 and section > 0 and text[max(0, index - 3) : index + 1].strip("0"):
            out.append(_SECTION_UNITS[section])
    return "".join(out)


def format_money(amount: Decimal, *, symbol: bool = False) -> str:
    """1234.5 -> "1,234.50"; with symbol "¥1,234.50"; negatives "-¥1.00"."""
    amount = _check_money(amount, "金额")
    sign = "-" if amount < 0 else ""
    return f"{sign}{'¥' if symbol else ''}{abs(amount):,.2f}"


# ---------------------------------------------------------------- documents


@dataclass(frozen=True)
class ReceiptLine:
    item: str  # 收费项目, e.g. 物业服务费
    period: str  # "2026-11" or a range text "2026-01 至 2026-06"
    amount: Decimal

    def __post_init__(self) -> None:
        _check_money(self.amount, f"收据行 {self.item}")


@dataclass(frozen=True)
class ReceiptDoc:
    """One receipt as printed; `total` is the money received (see the module invariants)."""

    company: str
    receipt_no: str
    issued_at: datetime  # aware; printed in Asia/Shanghai
    payer: str
    unit_code: str  # e.g. "翠苑 1-1-101", or "翠苑 B1-021（粤B12345）" for a parking lease without a unit
    lines: tuple[ReceiptLine, ...]
    credit_added: Decimal  # part of the money kept as 预存
    credit_used: Decimal  # 预存 spent on these lines
    total: Decimal
    method: str  # 现金 / 微信 / 支付宝 / 银行转账 / POS
    cashier: str
    voided: bool = False
    void_reason: str = ""
    place: str = "房屋"  # the word before unit_code: 房屋, or 车位 for a lease account

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        if self.issued_at.tzinfo is None or self.issued_at.utcoffset() is None:
            raise ValueError("收据时间应带时区（UTC 存储，上海时间打印）")
        for label, value in (("转入预存", self.credit_added), ("预存抵扣", self.credit_used)):
            if _check_money(value, label) < 0:
                raise ValueError(f"{label}：不能为负数（{value}）")
        _check_money(self.total, "实收合计")
        expected = sum((line.amount for line in self.lines), Decimal(0)) + self.credit_added - self.credit_used
        if expected != self.total:
            raise ValueError(
                f"收据 {self.receipt_no} 不平：明细 + 转入预存 - 预存抵扣 = {expected}，实收合计 = {self.total}"
            )
        if self.voided and not self.void_reason.strip():
            raise ValueError(f"收据 {self.receipt_no} 已作废但没有作废原因")


@dataclass(frozen=True)
class RefundDoc:
    """One refund voucher 退款单 as printed: prepaid credit paid back to `payee`."""

    company: str
    refund_no: str
    approved_at: datetime  # aware; when the manager granted it (the document's date)
    payee: str  # 领款人
    unit_code: str  # the account: "翠苑 1-1-101", or "翠苑 B1-021（粤B12345）"
    amount: Decimal
    method: str  # how the money goes back: 现金 / 微信 / 支付宝 / 银行转账 / POS
    reason: str
    requester: str
    approver: str
    cashier: str = ""  # who paid it out; "" while not yet paid out
    paid_at: datetime | None = None
    place: str = "房屋"  # 房屋 / 车位

    def __post_init__(self) -> None:
        for label, moment in (("开单时间", self.approved_at), ("付款时间", self.paid_at)):
            if moment is not None and (moment.tzinfo is None or moment.utcoffset() is None):
                raise ValueError(f"退款单 {self.refund_no}：{label}应带时区（UTC 存储，上海时间打印）")
        if _check_money(self.amount, "退款金额") <= 0:
            raise ValueError(f"退款单 {self.refund_no}：退款金额应大于 0（{self.amount}）")
        if not self.payee.strip():
            raise ValueError(f"退款单 {self.refund_no}：没有领款人")
        if bool(self.cashier) != (self.paid_at is not None):
            raise ValueError(f"退款单 {self.refund_no}：付款人和付款时间应同时填写")


@dataclass(frozen=True)
class NoticeLine:
    item: str
    period: str  # "2026-11" or a range text
    amount: Decimal
    due_on: date

    def __post_init__(self) -> None:
        _check_money(self.amount, f"欠费行 {self.item}")


@dataclass(frozen=True)
class DunningNotice:
    company: str
    unit_code: str
    payer: str
    lines: tuple[NoticeLine, ...]
    total: Decimal
    as_of: date  # arrears counted up to this day; also the notice date
    pay_by: date
    contact: str  # e.g. "物业服务中心 0571-88886666（翠苑 3 幢一楼）"

    def __post_init__(self) -> None:
        object.__setattr__(self, "lines", tuple(self.lines))
        if not self.lines:
            raise ValueError(f"催缴通知单 {self.unit_code}：没有欠费明细")
        _check_money(self.total, "欠费合计")
        expected = sum((line.amount for line in self.lines), Decimal(0))
        if expected != self.total:
            raise ValueError(f"催缴通知单 {self.unit_code} 不平：明细合计 {expected}，欠费合计 {self.total}")
        if self.pay_by < self.as_of:
            raise ValueError(f"催缴通知单 {self.unit_code}：缴费期限 {self.pay_by} 早于通知日期 {self.as_of}")


# ---------------------------------------------------------------- font

FONT_DIRS: tuple[Path, ...] = (
    Path("/usr/share/fonts/opentype/noto"),  # Debian / Ubuntu fonts-noto-cjk
    Path("/usr/share/fonts/noto-cjk"),  # Arch, Alpine
    Path("/usr/share/fonts/google-noto-cjk"),  # Fedora
)
_REGULAR = "NotoSansCJK-Regular.ttc"
_BOLD = "NotoSansCJK-Bold.ttc"
_FACE = "Noto Sans CJK SC"  # simplified-Chinese glyph forms, proportional Latin
MISSING_FONT = "缺少中文字体：未找到 Noto CJK 字体（NotoSansCJK-Regular.ttc），请在服务器上安装 fonts-noto-cjk（apt-get install fonts-noto-cjk）后重试"


@dataclass(frozen=True)
class _Face:
    path: Path
    index: int  # face number inside the .ttc collection


@functools.cache
def cjk_font() -> tuple[_Face, _Face]:
    """(regular, bold) Noto Sans CJK SC faces; bold falls back to regular. Cached once found."""
    for folder in FONT_DIRS:
        regular = folder / _REGULAR
        if regular.is_file():
            bold = folder / _BOLD
            regular_face = _Face(regular, _face_index(regular, _FACE))
            bold_face = _Face(bold, _face_index(bold, _FACE + " Bold")) if bold.is_file() else regular_face
            return regular_face, bold_face
    raise DomainError(MISSING_FONT)


def _face_index(path: Path, name: str) -> int:
    from fontTools.ttLib import TTCollection

    collection = TTCollection(str(path), lazy=True)
    try:
        for index, font in enumerate(collection.fonts):
            if font["name"].getDebugName(4) == name:
                return index
    finally:
        collection.close()
    raise DomainError(f"{MISSING_FONT}（{path.name} 中没有 {name}）")


def _new_pdf(*, landscape_a5: bool, title: str, created_at: datetime) -> FPDF:
    regular, bold = cjk_font()
    if landscape_a5:
        pdf = FPDF(orientation="L", unit="mm", format=(148, 210))
    else:
        pdf = FPDF(orientation="P", unit="mm", format=(210, 297))
    pdf.add_font("cjk", "", str(regular.path), collection_font_number=regular.index)
    pdf.add_font("cjk", "B", str(bold.path), collection_font_number=bold.index)
    pdf.set_auto_page_break(False)
    pdf.set_margins(0, 0, 0)
    pdf.c_margin = 1.8
    pdf.set_title(title)
    pdf.set_lang("zh-CN")
    pdf.set_creator("PropDesk")
    pdf.set_producer("PropDesk")
    pdf.set_creation_date(created_at)
    return pdf


# ---------------------------------------------------------------- drawing helpers

_INK = (20, 20, 20)
_GREY = (110, 110, 110)
_RED = (190, 20, 20)
_RULE = (60, 60, 60)
_HEAD_FILL = (236, 236, 236)


def _font(pdf: FPDF, size: float, *, bold: bool = False, color: tuple[int, int, int] = _INK) -> None:
    pdf.set_font("cjk", "B" if bold else "", size)
    pdf.set_text_color(*color)


def _width(pdf: FPDF, text: str) -> float:
    """Width of text in mm in the current font: FPDF.get_string_width without its bidi and markdown
    preprocessing (none of which applies here), ~50x faster; the sum of the glyph advances."""
    assert pdf.current_font is not None  # every caller sets the cjk font first (_font / _fit / set_font)
    return pdf.current_font.get_text_width(text, pdf.font_size_pt, None)[1] / pdf.k


def _fit(pdf: FPDF, text: str, width: float, size: float, *, bold: bool = False, min_size: float = 7) -> str:
    """Shrink the font (down to min_size) until text fits width; beyond that cut it with an ellipsis."""
    room = width - 2 * pdf.c_margin
    pdf.set_font("cjk", "B" if bold else "", size)
    while size > min_size and _width(pdf, text) > room:
        size -= 0.5
        pdf.set_font_size(size)
    if _width(pdf, text) <= room:
        return text
    while text and _width(pdf, text + "…") > room:
        text = text[:-1]
    return text + "…"


def _cell(
    pdf: FPDF,
    x: float,
    y: float,
    w: float,
    h: float,
    text: str,
    *,
    size: float = 10,
    bold: bool = False,
    align: str = "L",
    color: tuple[int, int, int] = _INK,
    min_size: float = 7,
) -> None:
    _font(pdf, size, bold=bold, color=color)
    text = _fit(pdf, text, w, size, bold=bold, min_size=min_size)
    pdf.set_xy(x, y)
    pdf.cell(w, h, text, align=align)


_TOKEN = re.compile(r"[0-9A-Za-z¥￥.,:/%+\-]+|\s|.")
_NO_LINE_START = set("，。、；：？！）》」』”’%…·")


def _wrap(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy line breaking for Chinese: any CJK character may end a line, numbers and Latin words
    stay whole, closing punctuation never starts a line (it hangs into the margin instead).
    Widths add up token by token (no shaping or kerning is applied to this text)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current, current_w = "", 0.0
        for token in _TOKEN.findall(paragraph):
            token_w = _width(pdf, token)
            if current_w + token_w <= width or (token in _NO_LINE_START and current):
                current, current_w = current + token, current_w + token_w
                continue
            if current.strip():
                lines.append(current.rstrip())
            current = token.lstrip()
            while len(current) > 1 and _width(pdf, current) > width:  # one overlong Latin run
                cut = len(current)
                while cut > 1 and _width(pdf, current[:cut]) > width:
                    cut -= 1
                lines.append(current[:cut])
                current = current[cut:]
            current_w = _width(pdf, current)
        lines.append(current.rstrip())
    return lines


def _paragraph(pdf: FPDF, x: float, y: float, w: float, text: str, *, size: float, leading: float) -> float:
    """Draw wrapped text; return the y below it."""
    _font(pdf, size)
    for line in _wrap(pdf, text, w):
        pdf.set_xy(x, y)
        pdf.cell(w, leading, line)
        y += leading
    return y


def _paragraph_height(pdf: FPDF, w: float, text: str, *, size: float, leading: float) -> float:
    _font(pdf, size)
    return len(_wrap(pdf, text, w)) * leading


def _double_rule(pdf: FPDF, x1: float, x2: float, y: float) -> None:
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.5)
    pdf.line(x1, y, x2, y)
    pdf.set_line_width(0.2)
    pdf.line(x1, y + 0.9, x2, y + 0.9)


@dataclass(frozen=True)
class _Col:
    title: str
    width: float
    align: str  # L C R


def _table_header(pdf: FPDF, x: float, y: float, cols: Sequence[_Col], h: float, size: float) -> float:
    pdf.set_fill_color(*_HEAD_FILL)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    cx = x
    for col in cols:
        pdf.rect(cx, y, col.width, h, style="DF")
        _cell(pdf, cx, y, col.width, h, col.title, size=size, bold=True, align="C")
        cx += col.width
    return y + h


def _table_row(
    pdf: FPDF, x: float, y: float, cols: Sequence[_Col], cells: Sequence[str], h: float, size: float
) -> float:
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    cx = x
    for col, text in zip(cols, cells, strict=True):
        pdf.rect(cx, y, col.width, h)
        _cell(pdf, cx, y, col.width, h, text, size=size, align=col.align, min_size=max(6, size - 3))
        cx += col.width
    return y + h


def _spanning_row(pdf: FPDF, x: float, y: float, w: float, h: float, text: str, size: float) -> float:
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, w, h)
    _cell(pdf, x, y, w, h, text, size=size, align="C", color=_GREY)
    return y + h


def _total_row(
    pdf: FPDF, x: float, y: float, cols: Sequence[_Col], label: str, total: Decimal, h: float, size: float
) -> float:
    words_w = sum(col.width for col in cols[:-1])
    money_w = cols[-1].width
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, words_w, h)
    pdf.rect(x + words_w, y, money_w, h)
    _cell(pdf, x, y, words_w, h, f"{label}{amount_in_words(total)}", size=size, bold=True)
    _cell(pdf, x + words_w, y, money_w, h, format_money(total, symbol=True), size=size + 0.5, bold=True, align="R")
    return y + h


def _outline(pdf: FPDF, x: float, y1: float, w: float, y2: float) -> None:
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.45)
    pdf.rect(x, y1, w, y2 - y1)
    pdf.set_line_width(0.2)


def _pages(count: int, cap_last: int, cap_more: int) -> list[tuple[int, int]]:
    """Split `count` rows into pages: every page but the last holds cap_more rows, the last up to cap_last."""
    cap_last, cap_more = max(cap_last, 0), max(cap_more, 1)
    spans: list[tuple[int, int]] = []
    start = 0
    while count - start > cap_last:
        spans.append((start, start + cap_more))
        start += cap_more
    spans.append((start, count))
    return spans


# ---------------------------------------------------------------- receipt

_R_W, _R_H, _R_M = 210.0, 148.0, 12.0
_R_COLS = (
    _Col("序号", 12, "C"),
    _Col("收费项目", 74, "L"),
    _Col("所属期间", 56, "C"),
    _Col("金额（元）", 44, "R"),
)
_R_TABLE_TOP = 37.0
_R_HEAD_H = 7.5
_R_ROW_H = 7.0
_R_TOTAL_H = 9.0
_R_LAST_BOTTOM = 106.0  # rows end here on the last page: total, method, cashier, void reason below
_R_MORE_BOTTOM = 124.0  # rows end here on a page followed by another


def receipt_pdf(doc: ReceiptDoc) -> bytes:
    """The receipt 收款收据 as an A5-landscape PDF (several pages only if its lines do not fit one)."""
    rows: list[tuple[str, ...]] = [
        (str(n), line.item, line.period, format_money(line.amount)) for n, line in enumerate(doc.lines, 1)
    ]
    if doc.credit_added:
        rows.append(("", "转入预存（留待以后抵扣）", "", format_money(doc.credit_added)))
    if doc.credit_used:
        rows.append(("", "使用预存抵扣", "", format_money(-doc.credit_used)))
    table_rows_top = _R_TABLE_TOP + _R_HEAD_H
    spans = _pages(
        len(rows),
        int((_R_LAST_BOTTOM - table_rows_top) / _R_ROW_H),
        int((_R_MORE_BOTTOM - _R_ROW_H - table_rows_top) / _R_ROW_H),
    )
    issued = doc.issued_at.astimezone(SHANGHAI)
    pdf = _new_pdf(landscape_a5=True, title=f"收款收据 {doc.receipt_no}", created_at=doc.issued_at)
    for page_no, (start, end) in enumerate(spans, 1):
        last = page_no == len(spans)
        pdf.add_page()
        _receipt_header(pdf, doc, issued)
        y = _table_header(pdf, _R_M, _R_TABLE_TOP, _R_COLS, _R_HEAD_H, 10)
        for cells in rows[start:end]:
            y = _table_row(pdf, _R_M, y, _R_COLS, cells, _R_ROW_H, 10)
        if last:
            y = _total_row(pdf, _R_M, y, _R_COLS, "合计人民币（大写）：", doc.total, _R_TOTAL_H, 10.5)
        else:
            y = _spanning_row(pdf, _R_M, y, _R_W - 2 * _R_M, _R_ROW_H, "（续下页）", 9)
        _outline(pdf, _R_M, _R_TABLE_TOP, _R_W - 2 * _R_M, y)
        if last:
            _receipt_footer(pdf, doc, y + 2.5)
        _cell(pdf, _R_M, _R_H - 10, 140, 5, "本收据为缴费凭证，请妥善保管；涂改无效。", size=8, color=_GREY)
        if len(spans) > 1:
            _cell(pdf, _R_W - _R_M - 40, _R_H - 10, 40, 5, f"第 {page_no} 页 / 共 {len(spans)} 页", size=8,
                  align="R", color=_GREY)
        if doc.voided:
            _void_stamp(pdf, _R_W / 2, 78)
    return bytes(pdf.output())


def _receipt_header(pdf: FPDF, doc: ReceiptDoc, issued: datetime) -> None:
    width = _R_W - 2 * _R_M
    _cell(pdf, _R_M + 30, 8, width - 60, 7, doc.company, size=12.5, bold=True, align="C")
    _font(pdf, 20, bold=True)
    title = "收 款 收 据"
    title_w = _width(pdf, title)
    _cell(pdf, _R_M, 15, width, 10, title, size=20, bold=True, align="C")
    _double_rule(pdf, _R_W / 2 - title_w / 2 - 6, _R_W / 2 + title_w / 2 + 6, 25.6)
    _cell(pdf, _R_W - _R_M - 52, 17, 12, 7, "No.", size=10, color=_RED, align="R")
    _cell(pdf, _R_W - _R_M - 40, 17, 40, 7, doc.receipt_no, size=12, bold=True, color=_RED, align="L")
    _cell(pdf, _R_M, 29, 80, 6.5, f"交款人：{doc.payer}", size=10, min_size=8)
    _cell(pdf, _R_M + 80, 29, 56, 6.5, f"{doc.place}：{doc.unit_code}", size=10, min_size=8)
    _cell(pdf, _R_W - _R_M - 50, 29, 50, 6.5, f"收款时间：{issued:%Y-%m-%d %H:%M}", size=10, align="R")


def _receipt_footer(pdf: FPDF, doc: ReceiptDoc, y: float) -> None:
    _cell(pdf, _R_M, y, 56, 7, f"收款方式：{doc.method}", size=10)
    _cell(pdf, _R_M + 62, y, 56, 7, f"收款人：{doc.cashier}", size=10)
    _cell(pdf, _R_W - _R_M - 62, y, 30, 7, "交款人签字：", size=10)
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    pdf.line(_R_W - _R_M - 32, y + 5.6, _R_W - _R_M, y + 5.6)
    _cell(pdf, _R_W - _R_M - 62, y + 12, 62, 7, "收款单位（盖章）", size=10, color=_GREY)
    if doc.voided:
        _cell(pdf, _R_M, y + 7.5, _R_W - 2 * _R_M - 64, 7, f"【作废】作废原因：{doc.void_reason}", size=10, bold=True,
              color=_RED)


def _void_stamp(pdf: FPDF, cx: float, cy: float) -> None:
    with pdf.local_context(fill_opacity=0.32, stroke_opacity=0.45), pdf.rotation(18, cx, cy):
        pdf.set_draw_color(*_RED)
        pdf.set_line_width(1.6)
        pdf.rect(cx - 42, cy - 17, 84, 34, round_corners=True, corner_radius=4)
        _font(pdf, 64, bold=True, color=_RED)
        text = "作 废"
        pdf.text(cx - _width(pdf, text) / 2, cy + 11, text)


# ---------------------------------------------------------------- refund voucher

_T_COLS = (
    _Col("序号", 12, "C"),
    _Col("项目", 46, "L"),
    _Col("退款原因", 84, "L"),
    _Col("金额（元）", 44, "R"),
)


def refund_pdf(doc: RefundDoc) -> bytes:
    """The refund voucher 退款单 as an A5-landscape PDF, in the receipt's style, with a signature line for the payee."""
    approved = doc.approved_at.astimezone(SHANGHAI)
    pdf = _new_pdf(landscape_a5=True, title=f"退款单 {doc.refund_no}", created_at=doc.approved_at)
    pdf.add_page()
    width = _R_W - 2 * _R_M
    _cell(pdf, _R_M + 30, 8, width - 60, 7, doc.company, size=12.5, bold=True, align="C")
    title = "退 款 单"
    _font(pdf, 20, bold=True)
    title_w = _width(pdf, title)
    _cell(pdf, _R_M, 15, width, 10, title, size=20, bold=True, align="C")
    _double_rule(pdf, _R_W / 2 - title_w / 2 - 6, _R_W / 2 + title_w / 2 + 6, 25.6)
    _cell(pdf, _R_W - _R_M - 52, 17, 12, 7, "No.", size=10, color=_RED, align="R")
    _cell(pdf, _R_W - _R_M - 40, 17, 40, 7, doc.refund_no, size=12, bold=True, color=_RED, align="L")
    _cell(pdf, _R_M, 29, 70, 6.5, f"领款人：{doc.payee}", size=10, min_size=8)
    _cell(pdf, _R_M + 70, 29, 66, 6.5, f"{doc.place}：{doc.unit_code}", size=10, min_size=8)
    _cell(pdf, _R_W - _R_M - 50, 29, 50, 6.5, f"开单时间：{approved:%Y-%m-%d %H:%M}", size=10, align="R")
    y = _table_header(pdf, _R_M, _R_TABLE_TOP, _T_COLS, _R_HEAD_H, 10)
    y = _refund_row(pdf, y, doc)
    y = _total_row(pdf, _R_M, y, _T_COLS, "退款金额（大写）：", doc.amount, _R_TOTAL_H, 10.5)
    _outline(pdf, _R_M, _R_TABLE_TOP, width, y)
    y += 3
    _cell(pdf, _R_M, y, 60, 7, f"退款方式：{doc.method}", size=10)
    _cell(pdf, _R_M + 62, y, 60, 7, f"申请人：{doc.requester}", size=10)
    _cell(pdf, _R_M + 124, y, 62, 7, f"审批人：{doc.approver}", size=10)
    y += 8
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    if doc.cashier:
        paid = cast(datetime, doc.paid_at).astimezone(SHANGHAI)  # RefundDoc: a cashier comes with paid_at
        _cell(pdf, _R_M, y, 60, 7, f"付款人：{doc.cashier}", size=10)
        _cell(pdf, _R_M + 62, y, 60, 7, f"付款时间：{paid:%Y-%m-%d %H:%M}", size=10)
    else:
        _cell(pdf, _R_M, y, 18, 7, "付款人：", size=10)
        pdf.line(_R_M + 17, y + 5.6, _R_M + 56, y + 5.6)
        _cell(pdf, _R_M + 62, y, 22, 7, "付款时间：", size=10)
        pdf.line(_R_M + 83, y + 5.6, _R_M + 120, y + 5.6)
    _cell(pdf, _R_W - _R_M - 62, y, 30, 7, "领款人签字：", size=10)
    pdf.line(_R_W - _R_M - 32, y + 5.6, _R_W - _R_M, y + 5.6)
    _cell(pdf, _R_W - _R_M - 62, y + 12, 62, 7, "退款单位（盖章）", size=10, color=_GREY)
    _cell(pdf, _R_M, _R_H - 10, 160, 5, "本单为退还预存款的凭证，领款人签字后生效；涂改无效。", size=8, color=_GREY)
    return bytes(pdf.output())


def _refund_row(pdf: FPDF, y: float, doc: RefundDoc) -> float:
    """The one line of a refund: its reason wrapped in its cell (up to 200 characters fit), never cut."""
    reason_w = _T_COLS[2].width
    size, leading = 9.5, 4.6
    _font(pdf, size)
    lines = _wrap(pdf, doc.reason, reason_w - 2 * pdf.c_margin)
    while len(lines) > 6 and size > 7:
        size, leading = size - 0.5, leading - 0.25
        _font(pdf, size)
        lines = _wrap(pdf, doc.reason, reason_w - 2 * pdf.c_margin)
    h = max(_R_ROW_H + 3, leading * len(lines) + 3)
    x = _R_M
    pdf.set_draw_color(*_RULE)
    pdf.set_line_width(0.2)
    for col, text in zip(_T_COLS, ("1", "预存款退款", None, format_money(doc.amount)), strict=True):
        pdf.rect(x, y, col.width, h)
        if text is None:
            top = y + (h - leading * len(lines)) / 2
            for n, line in enumerate(lines):
                _cell(pdf, x, top + n * leading, col.width, leading, line, size=size)
        else:
            _cell(pdf, x, y, col.width, h, text, size=10, align=col.align)
        x += col.width
    return y + h


# ---------------------------------------------------------------- dunning notices

_N_W, _N_H, _N_M = 210.0, 297.0, 20.0
_N_COLS = (
    _Col("序号", 12, "C"),
    _Col("收费项目", 48, "L"),
    _Col("所属期间", 42, "C"),
    _Col("应缴日期", 32, "C"),
    _Col("金额（元）", 36, "R"),
)
_N_BODY = 11.5  # pt
_N_LEADING = 7.0  # mm
_N_BOTTOM = 282.0
_N_DENSITIES = ((7.0, 10.5), (6.0, 9.5), (5.2, 8.5))  # row height mm, font pt
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def dunning_notices_pdf(notices: Sequence[DunningNotice]) -> bytes:
    """A batch of 催缴通知单, one A4 page per unit, in the order given."""
    if not notices:
        raise ValueError("催缴通知单：没有要打印的房屋")
    pdf = _new_pdf(
        landscape_a5=False,
        title=f"催缴通知单（{len(notices)} 户）",
        created_at=datetime.combine(notices[0].as_of, datetime.min.time(), SHANGHAI),
    )
    for notice in notices:
        _notice_pages(pdf, notice)
    return bytes(pdf.output())


def _cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _notice_rows(lines: Sequence[NoticeLine]) -> list[tuple[str, str, str, Decimal]]:
    return [(line.item, line.period, f"{line.due_on:%Y-%m-%d}", line.amount) for line in lines]


def _merged_rows(lines: Sequence[NoticeLine]) -> list[tuple[str, str, str, Decimal]]:
    """Runs of consecutive months of one item become one row 2025-01 至 2025-12 (due from the first)."""
    by_item: dict[str, list[NoticeLine]] = {}
    for line in lines:
        by_item.setdefault(line.item, []).append(line)
    rows: list[tuple[str, str, str, Decimal]] = []
    for item, item_lines in by_item.items():
        monthly = sorted((ln for ln in item_lines if _MONTH.match(ln.period)), key=lambda ln: ln.period)
        others = [ln for ln in item_lines if not _MONTH.match(ln.period)]
        run: list[NoticeLine] = []
        for line in monthly:
            if run and _month_index(line.period) != _month_index(run[-1].period) + 1:
                rows.append(_run_row(item, run))
                run = []
            run.append(line)
        if run:
            rows.append(_run_row(item, run))
        rows.extend((item, ln.period, f"{ln.due_on:%Y-%m-%d}", ln.amount) for ln in others)
    return rows


def _month_index(period: str) -> int:
    year, month = period.split("-")
    return int(year) * 12 + int(month)


def _run_row(item: str, run: list[NoticeLine]) -> tuple[str, str, str, Decimal]:
    amount = sum((ln.amount for ln in run), Decimal(0))
    first_due = min(ln.due_on for ln in run)
    if len(run) == 1:
        return item, run[0].period, f"{first_due:%Y-%m-%d}", amount
    return item, f"{run[0].period} 至 {run[-1].period}", f"{first_due:%Y-%m-%d} 起", amount


def _notice_texts(notice: DunningNotice) -> tuple[str, str]:
    intro = (
        f"　　您好！感谢您一直以来对我们物业服务工作的理解与支持。经核对，截至{_cn_date(notice.as_of)}，"
        f"您名下的房屋（{notice.unit_code}）尚有以下费用未缴纳，"
        f"合计人民币 {format_money(notice.total)} 元（大写：{amount_in_words(notice.total)}），明细如下："
    )
    closing = (
        f"　　请您于{_cn_date(notice.pay_by)}前到物业服务中心缴清上述费用。如您近日已经缴纳，请忽略本通知；"
        "如对费用有任何疑问，欢迎来电或到物业服务中心咨询，我们将为您逐项核对。\n"
        "　　物业服务费是小区公共设施设备维护、环境卫生、秩序维护等各项服务正常开展的保障。"
        "感谢您的理解与配合，祝您生活愉快！"
    )
    return intro, closing


def _notice_pages(pdf: FPDF, notice: DunningNotice) -> None:
    width = _N_W - 2 * _N_M
    intro, closing = _notice_texts(notice)
    table_top = 62.0 + _paragraph_height(pdf, width, intro, size=_N_BODY, leading=_N_LEADING) + 3
    bottom_block = _paragraph_height(pdf, width, closing, size=_N_BODY, leading=_N_LEADING) + 4 + 8 + 4 + 16
    cont_top = 44.0

    def capacity(top: float, row_h: float, *, last: bool) -> int:
        head_h = row_h + 1
        end = _N_BOTTOM - (bottom_block + row_h + 2 if last else row_h)
        return int((end - top - head_h) / row_h)

    rows, row_h, size = _notice_layout(notice, lambda row_h: capacity(table_top, row_h, last=True))

    cells = [(str(n), item, period, due, format_money(amount)) for n, (item, period, due, amount) in enumerate(rows, 1)]
    if len(cells) <= capacity(table_top, row_h, last=True):
        spans = [(0, len(cells))]
    else:
        first_more = capacity(table_top, row_h, last=False)
        spans = [(0, first_more)] + [
            (a + first_more, b + first_more)
            for a, b in _pages(
                len(cells) - first_more,
                capacity(cont_top, row_h, last=True),
                capacity(cont_top, row_h, last=False),
            )
        ]

    for page_no, (start, end) in enumerate(spans, 1):
        last = page_no == len(spans)
        pdf.add_page()
        top = _notice_header(pdf, notice, intro) if page_no == 1 else _notice_cont_header(pdf, notice)
        y = _table_header(pdf, _N_M, top, _N_COLS, row_h + 1, size)
        for row in cells[start:end]:
            y = _table_row(pdf, _N_M, y, _N_COLS, row, row_h, size)
        if last:
            y = _total_row(pdf, _N_M, y, _N_COLS, "合计（大写）：", notice.total, row_h + 2, size + 0.5)
        else:
            y = _spanning_row(pdf, _N_M, y, width, row_h, "（续下页）", size - 1)
        _outline(pdf, _N_M, top, width, y)
        if last:
            _notice_closing(pdf, notice, closing, y + 4)
        if len(spans) > 1:
            _cell(pdf, _N_W - _N_M - 40, _N_H - 12, 40, 5, f"第 {page_no} 页 / 共 {len(spans)} 页", size=8,
                  align="R", color=_GREY)


_Rows = list[tuple[str, str, str, Decimal]]


def _notice_layout(notice: DunningNotice, fits: Callable[[float], int]) -> tuple[_Rows, float, float]:
    """Rows, row height and font size for one page: month rows at the largest density that fits,
    else month runs merged into ranges, else the merged rows at the smallest density (2+ pages)."""
    plain = _notice_rows(notice.lines)
    for row_h, size in _N_DENSITIES:
        if len(plain) <= fits(row_h):
            return plain, row_h, size
    merged = _merged_rows(notice.lines)
    for row_h, size in _N_DENSITIES:
        if len(merged) <= fits(row_h):
            return merged, row_h, size
    row_h, size = _N_DENSITIES[-1]
    return merged, row_h, size


def _notice_header(pdf: FPDF, notice: DunningNotice, intro: str) -> float:
    width = _N_W - 2 * _N_M
    _cell(pdf, _N_M, 16, width, 8, notice.company, size=14, bold=True, align="C")
    title = "催 缴 通 知 单"
    _font(pdf, 22, bold=True)
    title_w = _width(pdf, title)
    _cell(pdf, _N_M, 25, width, 12, title, size=22, bold=True, align="C")
    _double_rule(pdf, _N_W / 2 - title_w / 2 - 8, _N_W / 2 + title_w / 2 + 8, 37.5)
    _cell(pdf, _N_M, 42, width / 2, 6, f"房屋：{notice.unit_code}", size=10, color=_GREY)
    _cell(pdf, _N_M + width / 2, 42, width / 2, 6, f"通知日期：{_cn_date(notice.as_of)}", size=10, color=_GREY,
          align="R")
    _cell(pdf, _N_M, 53, width, 8, f"尊敬的 {notice.payer}：", size=12.5, bold=True)
    return _paragraph(pdf, _N_M, 62, width, intro, size=_N_BODY, leading=_N_LEADING) + 3


def _notice_cont_header(pdf: FPDF, notice: DunningNotice) -> float:
    width = _N_W - 2 * _N_M
    _cell(pdf, _N_M, 16, width, 8, f"{notice.company} 催缴通知单（续）", size=13, bold=True, align="C")
    _cell(pdf, _N_M, 28, width, 6, f"房屋：{notice.unit_code}　　业主：{notice.payer}", size=10, color=_GREY)
    return 44.0


def _notice_closing(pdf: FPDF, notice: DunningNotice, closing: str, y: float) -> None:
    width = _N_W - 2 * _N_M
    y = _paragraph(pdf, _N_M, y, width, closing, size=_N_BODY, leading=_N_LEADING) + 4
    _cell(pdf, _N_M, y, width, 8, f"联系方式：{notice.contact}", size=_N_BODY, bold=True)
    y += 12
    _cell(pdf, _N_W - _N_M - 90, y, 90, 7, notice.company, size=_N_BODY, align="R")
    _cell(pdf, _N_W - _N_M - 90, y + 8, 90, 7, _cn_date(notice.as_of), size=_N_BODY, align="R")
