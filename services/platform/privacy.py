"""Masking personal data for roles that do not need it in full."""

from __future__ import annotations


def mask_mobile(mobile: str) -> str:
    """13812348000 -> 138****8000; short or landline numbers keep only the last four digits."""
    digits = mobile.strip()
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    if len(digits) > 4:
        return "*" * (len(digits) - 4) + digits[-4:]
    return digits


def mask_id_number(id_number: str) -> str:
    """110101199003071234 -> 110***********1234."""
    text = id_number.strip()
    if len(text) <= 7:
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]
