"""Finding residents' full mobiles and ID numbers in what a service hands out (lists, workbooks, CSV, PDFs).

Masked personal data is 手机号 and 身份证号 (what people.reveal names); a landline 固定电话 is an editable field of
the people grid and is not masked. A masked value (138****8000, 110***********1234) is never a whole number, so a
full one found in the output that is also in the database is a leak.
"""

from __future__ import annotations

import dataclasses
import io
import re
import sqlite3
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
from pypdf import PdfReader
from sqlalchemy import select, union

from db.engine import read_session
from db.models import KeyLoan, LostItem, PaidServiceOrder, Person, Ticket

# a whole mobile or an 18-character ID number, not a run of digits inside a longer one (a receipt number)
_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{17}[0-9Xx]|1[0-9]{10})(?![0-9Xx])")


def seed_contact_numbers(db_path: Path) -> None:
    """Give the demo's tickets, lost items and key loans contact mobiles (the demo leaves them empty), so a leak of
    them would show."""
    with sqlite3.connect(db_path) as conn:
        conn.execute("UPDATE tickets SET caller_phone = '139' || substr('00000000' || id, -8)")
        conn.execute("UPDATE lost_items SET finder_phone = '137' || substr('00000000' || id, -8), "
                     "claimant_phone = '136' || substr('00000000' || id, -8)")
        conn.execute("UPDATE key_loans SET borrower_phone = '135' || substr('00000000' || id, -8)")
    conn.close()


def full_numbers() -> frozenset[str]:
    """Every resident's mobile and ID number on record, and the contact mobiles of tickets, orders, lost items
    and key loans."""
    columns = [Person.mobile, Person.id_number, Ticket.caller_phone, PaidServiceOrder.requester_phone,
               LostItem.finder_phone, LostItem.claimant_phone, KeyLoan.borrower_phone]
    with read_session() as s:
        found = s.scalars(union(*[select(c.label("n")) for c in columns])).all()
    return frozenset(n for n in found if n and _NUMBER.fullmatch(n))


def pdf_text(data: bytes) -> str:
    """The text of a PDF without the NULs pypdf puts between CJK glyphs."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages).replace("\x00", "")


def as_text(value: Any) -> str:
    """Everything a service returned, as text: frames whole, workbooks cell by cell, PDFs by their text."""
    if isinstance(value, pd.DataFrame):
        return str(value.to_csv())
    if isinstance(value, bytes | bytearray):
        data = bytes(value)
        if data.startswith(b"PK"):
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
            return "\n".join(str(cell) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
                             for cell in row)
        if data.startswith(b"%PDF"):
            return pdf_text(data)
        return data.decode("utf-8", errors="replace")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return "\n".join(as_text(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return "\n".join(f"{as_text(k)}: {as_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return "\n".join(as_text(v) for v in value)
    return str(value)


def leaked(value: Any, numbers: frozenset[str]) -> list[str]:
    """The full mobiles and ID numbers of `numbers` found in `value`."""
    return sorted({n for n in _NUMBER.findall(as_text(value)) if n in numbers})
