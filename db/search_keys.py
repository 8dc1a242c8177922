"""Derived columns that make the one search box fast: kept in step with their sources on every write."""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin


def pinyin_initials(name: str) -> str:
    """张伟 -> 'zw'; letters and digits pass through lower-cased."""
    return "".join(lazy_pinyin(name or "", style=Style.FIRST_LETTER, errors="default")).lower()[:64]


def mobile_last4(mobile: str) -> str:
    digits = "".join(ch for ch in (mobile or "") if ch.isdigit())
    return digits[-4:]


def compact_code(building_code: str, unit_no: str, room_no: str) -> str:
    """1-1-101 -> '11101': how people type a unit without separators."""
    return f"{building_code}{unit_no}{room_no}"
