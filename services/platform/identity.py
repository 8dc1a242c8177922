"""Rules for the personal identifiers people give the front desk: mobile, landline, ID number."""

from __future__ import annotations

import re

from services.platform.validate import FieldError

MOBILE_RE = re.compile(r"1[3-9]\d{9}")
LANDLINE_RE = re.compile(r"0\d{2,3}-?\d{7,8}(-\d{1,6})?")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def check_mobile(text: str) -> str:
    text = text.strip().replace(" ", "").replace("-", "")
    if not MOBILE_RE.fullmatch(text):
        raise FieldError("应为 11 位手机号（1 开头，第二位 3–9）；固定电话请填在“固定电话”")
    return text


def check_landline(text: str) -> str:
    text = text.strip().replace(" ", "")
    if not LANDLINE_RE.fullmatch(text):
        raise FieldError("应为带区号的固定电话，例如 020-12345678")
    return text


def check_id_number(text: str) -> str:
    """18 characters with a valid GB 11643 check digit (X upper-cased)."""
    text = text.strip().upper()
    if not re.fullmatch(r"\d{17}[\dX]", text):
        raise FieldError("应为 18 位身份证号（最后一位可为 X）")
    if id_check_char(text[:17]) != text[17]:
        raise FieldError("校验位不正确，请核对身份证号")
    return text
