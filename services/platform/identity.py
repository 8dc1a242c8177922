"""Rules for the personal identifiers people give the front desk: mobile, landline, ID number."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from services.platform.validate import FieldError, parse_text

# ASCII digits only: \d would also let through full-width and other scripts' digits (NFKC turns the first into ASCII)
MOBILE_RE = re.compile(r"1[3-9][0-9]{9}")
LANDLINE_RE = re.compile(r"0[0-9]{2,3}-?[0-9]{7,8}(-[0-9]{1,6})?")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_char(first17: str) -> str:
    return ID_CHECK[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def check_mobile(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().replace(" ", "").replace("-", "")
    if not MOBILE_RE.fullmatch(text):
        raise FieldError("应为 11 位手机号（1 开头，第二位 3–9）；固定电话请填在“固定电话”")
    return text


def check_landline(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not LANDLINE_RE.fullmatch(text):
        raise FieldError("应为带区号的固定电话，例如 020-12345678")
    return text


def check_id_number(text: str) -> str:
    """18 characters with a valid GB 11643 check digit (X upper-cased)."""
    text = unicodedata.normalize("NFKC", text).strip().upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", text):
        raise FieldError("应为 18 位身份证号（最后一位可为 X）")
    if id_check_char(text[:17]) != text[17]:
        raise FieldError("校验位不正确，请核对身份证号")
    return text


def parse_phone(raw: Any) -> str:
    """A contact phone typed into a form: an 11-digit mobile or a landline with area code ('' when blank)."""
    text = parse_text(raw, max_len=20)
    if not text:
        return ""
    try:
        return check_mobile(text)
    except FieldError:
        pass
    try:
        return check_landline(text)
    except FieldError:
        raise FieldError("应为手机号或带区号的固定电话") from None
