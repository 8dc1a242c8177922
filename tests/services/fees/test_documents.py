"""Printed fee documents: amounts in capitals 大写, receipts 收款收据 and dunning notices 催缴通知单.

The PDF checks read the text back with pypdf. pypdf 7.1 reads fpdf2's embedded CJK subset (a CID font
with an embedded code-to-CID CMap) as one-byte codes and puts a NUL before every glyph, and spaces
glyphs out; poppler's pdftotext reads the same files cleanly. So page text is compared with NULs and
all whitespace removed.
"""

from __future__ import annotations

import io
import os
import random
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from pypdf import PdfReader

from services.fees import documents
from services.fees.documents import (
    DunningNotice,
    NoticeLine,
    ReceiptDoc,
    ReceiptLine,
    RefundDoc,
    amount_in_words,
    dunning_notices_pdf,
    format_money,
    receipt_pdf,
    refund_pdf,
)
from services.platform.errors import DomainError

D = Decimal

# ---------------------------------------------------------------- amount_in_words

HAND_CHECKED = [
    ("0", "零元整"),
    ("0.00", "零元整"),
    ("-0.00", "零元整"),
    ("0.01", "壹分"),
    ("0.05", "伍分"),
    ("0.10", "壹角整"),
    ("0.30", "叁角整"),
    ("0.35", "叁角伍分"),
    ("1", "壹元整"),
    ("1.01", "壹元零壹分"),
    ("1.10", "壹元壹角整"),
    ("10.00", "壹拾元整"),
    ("10.50", "壹拾元伍角整"),
    ("11", "壹拾壹元整"),
    ("15.50", "壹拾伍元伍角整"),
    ("20", "贰拾元整"),
    ("20.02", "贰拾元零贰分"),
    ("100", "壹佰元整"),
    ("101", "壹佰零壹元整"),
    ("110", "壹佰壹拾元整"),
    ("1000", "壹仟元整"),
    ("1001", "壹仟零壹元整"),
    ("1010", "壹仟零壹拾元整"),
    ("1100", "壹仟壹佰元整"),
    ("1004.05", "壹仟零肆元零伍分"),
    ("1234.50", "壹仟贰佰叁拾肆元伍角整"),
    ("1409.50", "壹仟肆佰零玖元伍角整"),  # PBOC example
    ("1680.32", "壹仟陆佰捌拾元叁角贰分"),  # PBOC example, the form without 零
    ("6007.14", "陆仟零柒元壹角肆分"),  # PBOC example
    ("10000", "壹万元整"),
    ("10001", "壹万零壹元整"),
    ("10010", "壹万零壹拾元整"),
    ("100000.00", "壹拾万元整"),
    ("100100", "壹拾万零壹佰元整"),
    ("107000.53", "壹拾万零柒仟元伍角叁分"),  # PBOC example, the form with one 零
    ("110000", "壹拾壹万元整"),
    ("1000000", "壹佰万元整"),
    ("1001000", "壹佰万零壹仟元整"),
    ("10000000", "壹仟万元整"),
    ("12345678.90", "壹仟贰佰叁拾肆万伍仟陆佰柒拾捌元玖角整"),
    ("100000000", "壹亿元整"),
    ("100000001", "壹亿零壹元整"),
    ("100010000.01", "壹亿零壹万元零壹分"),
    ("101000000", "壹亿零壹佰万元整"),
    ("110000000", "壹亿壹仟万元整"),
    ("500000010.00", "伍亿零壹拾元整"),
    ("1000000000", "壹拾亿元整"),
    ("100000000000", "壹仟亿元整"),
    ("200000000000.02", "贰仟亿元零贰分"),
    ("999999999999.99", "玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分"),
    ("-1234.50", "负壹仟贰佰叁拾肆元伍角整"),
    ("-0.05", "负伍分"),
    ("1.500", "壹元伍角整"),  # trailing zeros beyond the cent are not a third decimal
    ("1E+3", "壹仟元整"),
]


@pytest.mark.parametrize(("amount", "words"), HAND_CHECKED)
def test_amount_in_words_matches_the_hand_checked_table(amount, words):
    assert amount_in_words(Decimal(amount)) == words


def test_amount_in_words_accepts_plain_integers():
    assert amount_in_words(3) == "叁元整"


@pytest.mark.parametrize("amount", ["1.005", "0.001", "12.3456", "1000000000000", "-1000000000000",
                                    "1E+12", "NaN", "Infinity", "-Infinity"])
def test_amount_in_words_refuses_a_third_decimal_a_trillion_and_non_numbers(amount):
    with pytest.raises(ValueError):
        amount_in_words(Decimal(amount))


@pytest.mark.parametrize("amount", [1.5, True, "1.00", None])
def test_amount_in_words_refuses_floats_and_strings(amount):
    with pytest.raises(TypeError):
        amount_in_words(amount)


_DIGIT = "零壹贰叁肆伍陆柒捌玖"
_SMALL = {"拾": 10, "佰": 100, "仟": 1000}


def _parse_words(words: str) -> Decimal:
    """An independent reader of capitals, to check amount_in_words over many values."""
    negative = words.startswith("负")
    yuan = section = digit = cents = 0
    for char in words.removeprefix("负"):
        if char in _DIGIT:
            digit = _DIGIT.index(char)
        elif char in _SMALL:
            section += digit * _SMALL[char]
            digit = 0
        elif char == "万":
            yuan += (section + digit) * 10**4
            section = digit = 0
        elif char == "亿":
            yuan = (yuan + section + digit) * 10**8
            section = digit = 0
        elif char == "元":
            yuan += section + digit
            section = digit = 0
        elif char == "角":
            cents += digit * 10
            digit = 0
        elif char == "分":
            cents += digit
            digit = 0
        else:
            assert char == "整", words
    value = Decimal(yuan * 100 + cents) / 100
    return -value if negative else value


def _assert_well_formed(amount: Decimal, words: str) -> None:
    if amount == 0:
        assert words == "零元整"
        return
    assert _parse_words(words) == amount, (amount, words)
    assert "零零" not in words
    for bad in ("零万", "零亿", "零元", "零角", "零整", "亿万", "零分"):
        assert bad not in words, (amount, words)
    assert words.endswith(("整", "分")), words
    assert ("分" in words) != words.endswith("整"), words
    assert not words.removeprefix("负").startswith("零"), words


def test_every_amount_up_to_a_thousand_yuan_reads_back_to_itself():
    for cents in range(0, 100_001):
        amount = Decimal(cents) / 100
        _assert_well_formed(amount, amount_in_words(amount))


def test_random_large_amounts_read_back_to_themselves():
    rng = random.Random(20261105)
    for _ in range(20_000):
        digits = rng.randint(1, 14)
        cents = rng.randint(0, 10**digits - 1)
        # sprinkle zero runs, which is where the 零 rules bite
        text = "".join("0" if rng.random() < 0.4 else ch for ch in str(cents))
        amount = Decimal(int(text)) / 100 * rng.choice((1, -1))
        _assert_well_formed(amount, amount_in_words(amount))


def test_money_figures_have_thousands_separators_and_two_decimals():
    assert format_money(D("1234.5")) == "1,234.50"
    assert format_money(D("1234.50"), symbol=True) == "¥1,234.50"
    assert format_money(D("-1"), symbol=True) == "-¥1.00"
    assert format_money(D("1234567.89")) == "1,234,567.89"
    assert format_money(D("0")) == "0.00"


# ---------------------------------------------------------------- fixtures

SHANGHAI_NOON_UTC = datetime(2026, 11, 5, 6, 32, tzinfo=UTC)  # 14:32 in Shanghai


def _receipt(**overrides) -> ReceiptDoc:
    fields = dict(
        company="杭州翠苑物业服务有限公司",
        receipt_no="SJ2026-000123",
        issued_at=SHANGHAI_NOON_UTC,
        payer="王小明",
        unit_code="翠苑 1-1-101",
        lines=(
            ReceiptLine("物业服务费", "2026-07 至 2026-12", D("1034.50")),
            ReceiptLine("停车费", "2026-11", D("150.00")),
            ReceiptLine("垃圾清运费", "2026-11", D("50.00")),
        ),
        credit_added=D("0"),
        credit_used=D("0"),
        total=D("1234.50"),
        method="微信",
        cashier="李收银",
    )
    fields.update(overrides)
    return ReceiptDoc(**fields)


def _notice(unit_code: str = "翠苑 3-2-1502", payer: str = "陈建国", months: int = 8) -> DunningNotice:
    lines = tuple(
        NoticeLine(item, f"2026-{m:02d}", amount, date(2026, m, 25))
        for item, amount in (("物业服务费", D("172.40")), ("停车费", D("150.00")))
        for m in range(3, 3 + months)
    )
    return DunningNotice(
        company="杭州翠苑物业服务有限公司",
        unit_code=unit_code,
        payer=payer,
        lines=lines,
        total=sum((line.amount for line in lines), D(0)),
        as_of=date(2026, 11, 30),
        pay_by=date(2026, 12, 15),
        contact="翠苑物业服务中心 0571-88886666",
    )


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return ["".join(page.extract_text().replace("\x00", "").split()) for page in reader.pages]


@pytest.fixture
def cjk_font():
    """Skip the PDF tests without fonts-noto-cjk, except where CI requires them."""
    try:
        return documents.cjk_font()
    except DomainError as exc:
        if os.environ.get("CI") or os.environ.get("PROPDESK_REQUIRE_BROWSER") == "1":
            pytest.fail(exc.message, pytrace=False)
        pytest.skip(exc.message)


# ---------------------------------------------------------------- documents refuse wrong figures


def test_a_receipt_that_does_not_balance_is_refused():
    with pytest.raises(ValueError, match="不平"):
        _receipt(total=D("1234.49"))


def test_a_receipt_balances_with_credit_added_and_used():
    doc = _receipt(credit_added=D("65.50"), credit_used=D("0"), total=D("1300.00"))
    assert doc.total == D("1300.00")
    doc = _receipt(credit_added=D("0"), credit_used=D("234.50"), total=D("1000.00"))
    assert doc.total == D("1000.00")


def test_a_receipt_needs_an_aware_time_a_void_reason_and_cent_exact_amounts():
    with pytest.raises(ValueError, match="时区"):
        _receipt(issued_at=datetime(2026, 11, 5, 14, 32))
    with pytest.raises(ValueError, match="作废原因"):
        _receipt(voided=True, void_reason=" ")
    with pytest.raises(ValueError, match="负数"):
        _receipt(credit_used=D("-1"), total=D("1235.50"))
    with pytest.raises(ValueError, match="两位小数"):
        ReceiptLine("物业服务费", "2026-11", D("172.405"))
    with pytest.raises(TypeError):
        ReceiptLine("物业服务费", "2026-11", 172.4)


def test_a_receipt_given_a_list_of_lines_keeps_a_tuple():
    doc = _receipt(lines=[ReceiptLine("物业服务费", "2026-11", D("1234.50"))])
    assert isinstance(doc.lines, tuple)


def test_a_notice_must_sum_have_lines_and_a_pay_by_date_after_its_date():
    notice = _notice()
    with pytest.raises(ValueError, match="不平"):
        replace(notice, total=notice.total + D("0.01"))
    with pytest.raises(ValueError, match="没有欠费明细"):
        replace(notice, lines=(), total=D(0))
    with pytest.raises(ValueError, match="早于"):
        replace(notice, pay_by=date(2026, 11, 29))


# ---------------------------------------------------------------- receipt PDF


def test_receipt_pdf_shows_company_number_lines_total_capitals_and_cashier(cjk_font):
    (page,) = _pages(receipt_pdf(_receipt()))
    for expected in ("杭州翠苑物业服务有限公司", "收款收据", "SJ2026-000123", "王小明", "翠苑1-1-101",
                     "物业服务费", "2026-07至2026-12", "1,034.50", "停车费", "150.00", "垃圾清运费", "50.00",
                     "¥1,234.50", "壹仟贰佰叁拾肆元伍角整", "微信", "李收银"):
        assert expected in page, expected
    assert "作废" not in page
    assert "预存" not in page


def test_a_lease_receipt_names_the_parking_space_instead_of_a_unit(cjk_font):
    (page,) = _pages(receipt_pdf(_receipt(place="车位", unit_code="翠苑 B1-021（粤B12345）")))
    assert "车位：翠苑B1-021（粤B12345）" in page
    assert "房屋：" not in page
    (unit_page,) = _pages(receipt_pdf(_receipt()))
    assert "房屋：翠苑1-1-101" in unit_page


def _refund(**overrides) -> RefundDoc:
    fields = dict(company="杭州翠苑物业服务有限公司", refund_no="TK2026-000007", approved_at=SHANGHAI_NOON_UTC,
                  payee="王小明", unit_code="翠苑 1-1-101", amount=D("1004.05"), method="现金",
                  reason="房屋已出售，退还剩余预存款", requester="李收银", approver="陈主管")
    fields.update(overrides)
    return RefundDoc(**fields)


def test_refund_voucher_shows_number_payee_unit_amount_in_capitals_method_reason_and_signature(cjk_font):
    (page,) = _pages(refund_pdf(_refund()))
    for expected in ("杭州翠苑物业服务有限公司", "退款单", "TK2026-000007", "领款人：王小明", "房屋：翠苑1-1-101",
                     "开单时间：2026-11-0514:32", "预存款退款", "房屋已出售，退还剩余预存款", "1,004.05",
                     "¥1,004.05", "壹仟零肆元零伍分", "退款方式：现金", "申请人：李收银", "审批人：陈主管",
                     "领款人签字", "付款人：", "付款时间："):
        assert expected in page, expected
    paid = _refund(cashier="李收银", paid_at=datetime(2026, 11, 5, 8, 0, tzinfo=UTC), place="车位",
                   unit_code="翠苑 B1-021（粤B12345）")
    (page,) = _pages(refund_pdf(paid))
    assert "付款人：李收银" in page and "付款时间：2026-11-0516:00" in page
    assert "车位：翠苑B1-021（粤B12345）" in page
    assert refund_pdf(paid) == refund_pdf(paid)  # a reprint is the same document


def test_a_long_refund_reason_is_wrapped_not_cut(cjk_font):
    reason = "业主出国定居，房屋已出售给新业主并办理交接，" * 8
    (page,) = _pages(refund_pdf(_refund(reason=reason)))
    assert reason in page
    assert "…" not in page


def test_a_refund_voucher_refuses_wrong_figures():
    with pytest.raises(ValueError, match="大于 0"):
        _refund(amount=D("0"))
    with pytest.raises(ValueError, match="两位小数"):
        _refund(amount=D("1.005"))
    with pytest.raises(TypeError):
        _refund(amount=1.5)
    with pytest.raises(ValueError, match="时区"):
        _refund(approved_at=datetime(2026, 11, 5, 14, 32))
    with pytest.raises(ValueError, match="同时填写"):
        _refund(cashier="李收银")
    with pytest.raises(ValueError, match="领款人"):
        _refund(payee=" ")


def test_receipt_pdf_prints_the_time_in_shanghai(cjk_font):
    late = _receipt(issued_at=datetime(2026, 12, 31, 17, 59, tzinfo=UTC))
    (page,) = _pages(receipt_pdf(late))
    assert "2027-01-0101:59" in page
    other_zone = _receipt(issued_at=datetime(2026, 11, 5, 1, 32, tzinfo=timezone(timedelta(hours=-5))))
    (page,) = _pages(receipt_pdf(other_zone))
    assert "2026-11-0514:32" in page


def test_receipt_pdf_shows_credit_lines_only_when_not_zero(cjk_font):
    (page,) = _pages(receipt_pdf(_receipt(credit_added=D("65.50"), total=D("1300.00"))))
    assert "转入预存" in page and "65.50" in page
    assert "使用预存抵扣" not in page
    assert "¥1,300.00" in page and "壹仟叁佰元整" in page
    (page,) = _pages(receipt_pdf(_receipt(credit_used=D("234.50"), total=D("1000.00"))))
    assert "使用预存抵扣" in page and "-234.50" in page
    assert "转入预存" not in page
    assert "¥1,000.00" in page and "壹仟元整" in page


def test_a_voided_receipt_is_marked_with_its_reason(cjk_font):
    doc = _receipt(voided=True, void_reason="金额录入错误，已重开SJ2026-000124")
    (page,) = _pages(receipt_pdf(doc))
    assert "作废" in page
    assert "作废原因：金额录入错误，已重开SJ2026-000124" in page
    assert "SJ2026-000123" in page and "¥1,234.50" in page  # the number and figures stay readable


def test_a_long_receipt_continues_on_pages_with_the_total_on_the_last(cjk_font):
    lines = tuple(ReceiptLine("物业服务费", f"2025-{m:02d}", D("169.80") + m) for m in range(1, 13)) + tuple(
        ReceiptLine("停车费", f"2025-{m:02d}", D("300.00")) for m in range(1, 13)
    )
    total = sum((line.amount for line in lines), D(0))
    pages = _pages(receipt_pdf(_receipt(lines=lines, total=total)))
    assert len(pages) >= 3
    for page in pages:
        assert "SJ2026-000123" in page and "收款收据" in page
    text = "".join(pages)
    for line in lines:
        assert format_money(line.amount) in text
    assert format_money(total, symbol=True) in pages[-1]
    assert all(format_money(total, symbol=True) not in page for page in pages[:-1])
    assert all("续下页" in page for page in pages[:-1])


def test_a_prepayment_only_receipt_has_just_the_credit_line(cjk_font):
    doc = _receipt(lines=(), credit_added=D("2000.00"), total=D("2000.00"))
    (page,) = _pages(receipt_pdf(doc))
    assert "转入预存" in page and "2,000.00" in page and "¥2,000.00" in page and "贰仟元整" in page


def test_a_long_payer_or_item_is_shrunk_or_cut_not_spilled(cjk_font):
    doc = _receipt(
        payer="浙江某某房地产开发有限公司（开发商代缴）",
        lines=(ReceiptLine("物业服务费（住宅，按建筑面积 89.37㎡ × 1.90 元/㎡·月）" * 3, "2026-11", D("1234.50")),),
    )
    (page,) = _pages(receipt_pdf(doc))
    assert "1,234.50" in page and "…" in page


def test_the_same_receipt_prints_the_same_bytes(cjk_font):
    assert receipt_pdf(_receipt()) == receipt_pdf(_receipt())


# ---------------------------------------------------------------- dunning notices PDF


def test_a_notice_batch_has_one_page_per_unit_naming_it(cjk_font):
    notices = [_notice(f"翠苑 3-2-{floor:02d}01", f"业主{floor}") for floor in range(1, 6)]
    pages = _pages(dunning_notices_pdf(notices))
    assert len(pages) == len(notices)
    for notice, page in zip(notices, pages, strict=True):
        assert notice.unit_code.replace(" ", "") in page
        assert f"尊敬的{notice.payer}" in page
        for other in notices:
            if other is not notice:
                assert other.unit_code.replace(" ", "") not in page


def test_a_notice_shows_items_months_total_capitals_pay_by_and_contact(cjk_font):
    (page,) = _pages(dunning_notices_pdf([_notice()]))
    for expected in ("杭州翠苑物业服务有限公司", "催缴通知单", "物业服务费", "停车费", "2026-03", "2026-10",
                     "2026-03-25", "172.40", "150.00", "¥2,579.20", "贰仟伍佰柒拾玖元贰角整",
                     "2026年12月15日前", "截至2026年11月30日", "0571-88886666"):
        assert expected in page, expected


def test_many_months_of_arrears_still_fit_one_page_as_ranges(cjk_font):
    lines = tuple(
        NoticeLine(item, f"{year}-{m:02d}", D("88.80"), date(year, m, 25))
        for item in ("物业服务费", "停车费", "垃圾清运费")
        for year in (2024, 2025)
        for m in range(1, 13)
    )
    notice = replace(_notice(), lines=lines, total=D("88.80") * 72)
    (page,) = _pages(dunning_notices_pdf([notice]))
    assert "2024-01至2025-12" in page
    assert "2,131.20" in page  # 24 x 88.80 per item
    assert "¥6,393.60" in page and "陆仟叁佰玖拾叁元陆角整" in page


def test_a_unit_with_more_distinct_rows_than_a_page_continues_on_a_second_page(cjk_font):
    lines = tuple(
        NoticeLine(f"水费 表{k}", f"{2020 + k // 12}-{k % 12 + 1:02d}", D("12.30"), date(2020 + k // 12, k % 12 + 1, 25))
        for k in range(60)
    )
    crowded = replace(_notice("翠苑 商铺 S-08", "王老板"), lines=lines, total=D("738.00"))
    pages = _pages(dunning_notices_pdf([_notice(), crowded, _notice("翠苑 3-2-1602")]))
    assert len(pages) == 4
    assert "翠苑3-2-1502" in pages[0] and "翠苑3-2-1602" in pages[3]
    first, second = pages[1], pages[2]
    assert "翠苑商铺S-08" in first and "翠苑商铺S-08" in second and "续" in second
    assert "¥738.00" not in first and "¥738.00" in second and "柒佰叁拾捌元整" in second
    assert "表0" in first and "表59" in second


def test_an_empty_batch_is_refused():
    with pytest.raises(ValueError):
        dunning_notices_pdf([])


# ---------------------------------------------------------------- font


def test_a_missing_font_says_to_install_fonts_noto_cjk(monkeypatch, tmp_path):
    monkeypatch.setattr(documents, "FONT_DIRS", (tmp_path,))
    documents.cjk_font.cache_clear()
    try:
        with pytest.raises(DomainError, match="fonts-noto-cjk"):
            receipt_pdf(_receipt())
    finally:
        documents.cjk_font.cache_clear()
