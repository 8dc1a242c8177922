"""Ticket photos 照片: pictures of the problem or of the finished work, kept in the database.

Invariants:
- a photo is a JPEG, PNG or WEBP as its first bytes say; the filename is only a label and never decides;
- at most 5 MB a photo and 9 photos a ticket; a batch is checked whole before anything is written, so one
  bad file refuses the batch and nothing is half-written;
- photos are never edited or deleted; they are written inside the caller's transaction (intake, or
  `tickets.add_photos` with its timeline entry and audit row), one INSERT per photo, so a statement never
  carries more than one photo (MariaDB refuses statements above max_allowed_packet, 16 MB by default);
- lists carry no bytes; the bytes of one photo are read only when that photo is asked for.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Ticket, TicketPhoto
from services.platform.auth import Actor, require
from services.platform.errors import NotFound, ValidationError
from services.platform.scope import estate_clause

FIELD = "照片"
MAX_BYTES = 5 * 1024 * 1024
MAX_PER_TICKET = 9
KINDS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
_UNSAFE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PhotoInfo:
    """A photo without its bytes (what lists and the panel need)."""

    id: int
    ticket_id: int
    filename: str
    content_type: str
    size: int
    uploaded_at: datetime
    uploader_name: str


@dataclass(frozen=True)
class PhotoFile:
    filename: str
    content_type: str
    data: bytes


def sniff(data: bytes) -> str | None:
    """The content type the magic bytes announce (JPEG, PNG, WEBP), or None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def _clean_name(raw: object, index: int, content_type: str | None) -> str:
    name = re.split(r"[\\/]", str(raw or ""))[-1]
    name = _UNSAFE.sub("", name).strip()
    if not name:
        name = f"照片{index}.{KINDS.get(content_type or '', 'jpg')}"
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 119 - len(ext)] + dot + ext) if dot and len(ext) <= 8 else name[:120]
    return name


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_photos(photos: Iterable[tuple[str, bytes]] | None, *, already: int = 0) -> list[PhotoFile]:
    """The batch as typed files, or ValidationError naming 照片 with every problem at once."""
    batch = list(photos or [])
    problems: list[str] = []
    files: list[PhotoFile] = []
    for i, item in enumerate(batch, start=1):
        try:
            raw_name, data = item
        except (TypeError, ValueError):
            problems.append(f"第 {i} 个文件无法读取")
            continue
        if isinstance(data, (bytearray, memoryview)):
            data = bytes(data)
        if not isinstance(data, bytes):
            problems.append(f"第 {i} 个文件无法读取")
            continue
        content_type = sniff(data)
        name = _clean_name(raw_name, i, content_type)
        if content_type is None:
            problems.append(f"{name} 不是 JPEG、PNG 或 WEBP 图片（按文件内容识别，与文件名无关）")
        elif len(data) > MAX_BYTES:
            problems.append(f"{name} 为 {_megabytes(len(data))}，每张不能超过 5 MB")
        else:
            files.append(PhotoFile(name, content_type, data))
    if already + len(batch) > MAX_PER_TICKET:
        problems.append(f"每张工单最多 {MAX_PER_TICKET} 张，已有 {already} 张，本次 {len(batch)} 张")
    if problems:
        raise ValidationError({FIELD: "；".join(problems)})
    return files


def count(session: Session, ticket_id: int) -> int:
    return session.scalar(select(func.count()).select_from(TicketPhoto)
                          .where(TicketPhoto.ticket_id == ticket_id)) or 0


def attach(session: Session, actor: Actor, ticket_id: int, files: Sequence[PhotoFile],
           at: datetime) -> list[int]:
    """Add checked photos to a ticket inside the caller's transaction (one INSERT each); returns their ids."""
    ids = []
    for f in files:
        photo = TicketPhoto(ticket_id=ticket_id, filename=f.filename, content_type=f.content_type,
                            size=len(f.data), data=f.data, uploaded_at=at, uploaded_by=actor.user_id,
                            uploader_name=(actor.display_name or "")[:32])
        session.add(photo)
        session.flush()
        ids.append(photo.id)
    return ids


def list_photos(*, actor: Actor, ticket_id: int) -> list[PhotoInfo]:
    """A ticket's photos in the order they were added, without their bytes."""
    require(actor, "tickets.view")
    with read_session() as s:
        rows = s.execute(select(TicketPhoto.id, TicketPhoto.ticket_id, TicketPhoto.filename,
                                TicketPhoto.content_type, TicketPhoto.size, TicketPhoto.uploaded_at,
                                TicketPhoto.uploader_name)
                         .join(Ticket, Ticket.id == TicketPhoto.ticket_id)
                         .where(TicketPhoto.ticket_id == ticket_id, estate_clause(actor, Ticket.estate_id))
                         .order_by(TicketPhoto.id)).all()
    return [PhotoInfo(*r) for r in rows]


def photo_file(*, actor: Actor, photo_id: int) -> PhotoFile:
    """The bytes of one photo, with its name and content type."""
    require(actor, "tickets.view")
    with read_session() as s:
        row = s.execute(select(TicketPhoto.filename, TicketPhoto.content_type, TicketPhoto.data)
                        .join(Ticket, Ticket.id == TicketPhoto.ticket_id)
                        .where(TicketPhoto.id == photo_id, estate_clause(actor, Ticket.estate_id))).first()
    if row is None:
        raise NotFound("照片不存在")
    return PhotoFile(row[0], row[1], bytes(row[2]))
