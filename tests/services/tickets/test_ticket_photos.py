"""Ticket photos 照片 (services/tickets/photos, tickets.take(photos=...), tickets.add_photos) on every backend.

The file type is read from the bytes, never the filename; 5 MB a photo and 9 a ticket; a refused batch
writes nothing; the bytes come back exactly (MariaDB's plain BLOB would stop at 64 KiB: the column is a
LONGBLOB there, and a photo at the 5 MB limit goes through one INSERT of its own).
"""

from __future__ import annotations

import io
import os
import time
from datetime import UTC, datetime

import pytest
from PIL import Image
from sqlalchemy import select

from db.engine import read_session
from db.models import Ticket, TicketEvent, TicketPhoto, Unit
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.tickets import photos as ticket_photos
from services.tickets import workdays
from services.tickets import workflow as tickets
from services.tickets.photos import MAX_BYTES, MAX_PER_TICKET
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    count_rows,
    db_state,
    force_columns,
    get_row,
    make_units,
    roles_with,
    roles_without,
    seed_ticket_policies,
)

SERVICE = actor_for(Role.SERVICE)
ENGINEER = actor_for(Role.ENGINEER)
CASHIER = actor_for(Role.CASHIER)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _image(fmt: str, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 80, 40)).save(out, format=fmt)
    return out.getvalue()


JPEG, PNG, WEBP = _image("JPEG"), _image("PNG"), _image("WEBP")
GIF = _image("GIF")


def _big_png(n: int) -> bytes:
    """n bytes that start like a PNG (the service reads the magic bytes only); random, so nothing compresses."""
    return PNG_MAGIC + os.urandom(n - len(PNG_MAGIC))


@pytest.fixture
def desk(db, monkeypatch):
    """Now is Monday 2026-11-23 10:00 in Shanghai; SLA policies and one estate with a unit."""
    monkeypatch.setattr(tickets, "utcnow", lambda: NOW.astimezone(UTC))
    seed_ticket_policies()
    workdays.seed_holidays(actor=SYSTEM_ACTOR, years=[2026])
    [unit_id] = make_units(1)
    return get_row(Unit, unit_id)


def _take(unit, photos=None, *, actor=SERVICE) -> int:
    ticket_id, _ = tickets.take(actor=actor, photos=photos, intake=tickets.Intake(
        ticket_type="报修", channel="电话", estate_id=unit.estate_id, unit_id=unit.id, caller_name="张伟",
        caller_phone="13812348000", content="卫生间天花板渗水", received_at=NOW))
    return ticket_id


def _stored(ticket_id: int) -> list[tuple[str, str, int, bytes]]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(
            select(TicketPhoto.filename, TicketPhoto.content_type, TicketPhoto.size, TicketPhoto.data)
            .where(TicketPhoto.ticket_id == ticket_id).order_by(TicketPhoto.id))]


def _events(ticket_id: int) -> list[tuple[str, str]]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(select(TicketEvent.kind, TicketEvent.note)
                                            .where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))]


# --- taking photos with the call, reading them back ----------------------------------------------------------


def test_photos_taken_with_a_call_come_back_byte_for_byte_and_lists_carry_no_bytes(desk):
    big = _big_png(300 * 1024)  # well above MariaDB's 64 KiB BLOB
    ticket_id = _take(desk, [("渗水.jpg", JPEG), ("天花板.png", big), ("细节.webp", WEBP)])

    listed = ticket_photos.list_photos(actor=ENGINEER, ticket_id=ticket_id)
    assert [(p.filename, p.content_type, p.size) for p in listed] == [
        ("渗水.jpg", "image/jpeg", len(JPEG)), ("天花板.png", "image/png", len(big)),
        ("细节.webp", "image/webp", len(WEBP))]
    assert all(not hasattr(p, "data") for p in listed)
    assert {p.uploader_name for p in listed} == {SERVICE.display_name}
    assert all(p.uploaded_at == NOW for p in listed)
    got = ticket_photos.photo_file(actor=ENGINEER, photo_id=listed[1].id)
    assert (got.filename, got.content_type) == ("天花板.png", "image/png")
    assert got.data == big and isinstance(got.data, bytes)

    assert _events(ticket_id) == [("create", "电话受理，附照片 3 张")]
    [created] = audit_rows(entity="tickets", entity_id=str(ticket_id))
    _, after = audit_json(created)
    assert [(p["filename"], p["size"]) for p in after["photos"]] == [
        ("渗水.jpg", len(JPEG)), ("天花板.png", len(big)), ("细节.webp", len(WEBP))]


def test_a_photo_of_exactly_five_megabytes_is_kept_whole(desk):
    limit = _big_png(MAX_BYTES)
    ticket_id = _take(desk, [("整面墙.png", limit)])
    [(name, kind, size, data)] = _stored(ticket_id)
    assert (name, kind, size) == ("整面墙.png", "image/png", MAX_BYTES)
    assert data == limit


def test_a_call_without_photos_has_none(desk):
    ticket_id = _take(desk)
    assert ticket_photos.list_photos(actor=SERVICE, ticket_id=ticket_id) == []
    assert _events(ticket_id) == [("create", "电话受理")]


def test_the_type_comes_from_the_bytes_not_the_filename(desk):
    ticket_id = _take(desk, [("微信图片.gif", JPEG), ("IMG_0001", PNG), ("C:\\Users\\lin\\现场.JPG", WEBP)])
    assert [(n, k) for n, k, _, _ in _stored(ticket_id)] == [
        ("微信图片.gif", "image/jpeg"), ("IMG_0001", "image/png"), ("现场.JPG", "image/webp")]


# --- adding photos later ----------------------------------------------------------------------------------


def test_photos_added_later_come_with_one_timeline_entry_and_one_audit_row(desk):
    ticket_id = _take(desk, [("报修.jpg", JPEG)])
    audits_before = len(audit_rows())
    version_before = get_row(Ticket, ticket_id).version

    ids = tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id, photos=[("修好.png", PNG), ("全景.webp", WEBP)])

    assert len(ids) == 2
    assert [p.filename for p in ticket_photos.list_photos(actor=SERVICE, ticket_id=ticket_id)] == \
        ["报修.jpg", "修好.png", "全景.webp"]
    assert _events(ticket_id)[-1] == ("photo", "添加照片 2 张：修好.png、全景.webp")
    assert [e.kind for e in tickets.timeline(actor=SERVICE, ticket_id=ticket_id)][-1] == "照片"
    new_audits = audit_rows()[audits_before:]
    assert [(a.action, a.entity, a.entity_id, a.actor_user_id) for a in new_audits] == \
        [("photo", "tickets", str(ticket_id), ENGINEER.user_id)]
    assert [p["id"] for p in audit_json(new_audits[0])[1]["photos"]] == ids
    assert get_row(Ticket, ticket_id).version == version_before  # photos do not make other desks' views stale


def test_photos_fill_a_ticket_up_to_nine(desk):
    ticket_id = _take(desk, [(f"{i}.jpg", JPEG) for i in range(4)])
    tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id, photos=[(f"{i}.png", PNG) for i in range(5)])
    assert count_rows(TicketPhoto) == MAX_PER_TICKET == 9
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id, photos=[("第十张.jpg", JPEG)])
    assert refused.value.errors["照片"] == "每张工单最多 9 张，已有 9 张，本次 1 张"
    assert db_state() == before


# --- refusals: nothing half-written ------------------------------------------------------------------------

BAD_BATCHES = {
    "a gif": ([("动图.gif", GIF)], "动图.gif 不是 JPEG、PNG 或 WEBP 图片"),
    "text named like a jpeg": ([("照片.jpg", "这不是图片".encode())], "照片.jpg 不是 JPEG、PNG 或 WEBP 图片"),
    "an empty file": ([("空.png", b"")], "空.png 不是 JPEG、PNG 或 WEBP 图片"),
    "a pdf": ([("报告.pdf", b"%PDF-1.7\n...")], "报告.pdf 不是"),
    "one byte over 5 MB": ([("大.png", _big_png(MAX_BYTES + 1))], "大.png 为 5.0 MB，每张不能超过 5 MB"),
    "ten photos": ([(f"{i}.jpg", JPEG) for i in range(10)], "每张工单最多 9 张，已有 0 张，本次 10 张"),
    "one bad among good ones": ([("好.jpg", JPEG), ("坏.bmp", b"BM\x00\x00"), ("好.png", PNG)], "坏.bmp 不是"),
}


@pytest.mark.parametrize("case", list(BAD_BATCHES))
def test_a_call_with_a_bad_photo_is_refused_whole_naming_the_photo(desk, case):
    photos, message = BAD_BATCHES[case]
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        _take(desk, photos)
    assert message in refused.value.errors["照片"]
    assert refused.value.message.startswith("照片：")
    assert db_state() == before  # no ticket, no number used up, no photo


@pytest.mark.parametrize("case", list(BAD_BATCHES))
def test_adding_a_bad_photo_is_refused_whole_naming_the_photo(desk, case):
    photos, message = BAD_BATCHES[case]
    ticket_id = _take(desk)
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id, photos=photos)
    assert message in refused.value.errors["照片"]
    assert db_state() == before


def test_every_problem_of_a_batch_is_named_at_once_with_the_other_fields(desk):
    with pytest.raises(ValidationError) as refused:
        tickets.take(actor=SERVICE, photos=[("a.gif", GIF), ("b.txt", b"hello")], intake=tickets.Intake(
            ticket_type="报修", channel="电话", estate_id=desk.estate_id, unit_id=desk.id, caller_name="",
            caller_phone="", content="", received_at=NOW))
    errors = refused.value.errors
    assert "a.gif" in errors["照片"] and "b.txt" in errors["照片"]
    assert "必填" in errors["内容"]


def test_adding_no_photo_is_refused(desk):
    ticket_id = _take(desk)
    with pytest.raises(ValidationError, match="照片：请选择要添加的照片"):
        tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id, photos=[])


def test_a_failure_after_the_photos_were_written_rolls_them_back(desk, monkeypatch):
    ticket_id = _take(desk)
    before = db_state()

    def broken_audit(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(tickets.audit, "record", broken_audit)
    with pytest.raises(RuntimeError):
        tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id, photos=[("a.jpg", JPEG)])
    with pytest.raises(RuntimeError):
        _take(desk, [("b.jpg", JPEG)])
    assert db_state() == before


@pytest.mark.parametrize("status", ["已关闭", "已撤销"])
def test_photos_cannot_be_added_to_a_closed_or_cancelled_ticket(desk, status):
    ticket_id = _take(desk)
    force_columns(Ticket, ticket_id, status=status)
    before = db_state()
    with pytest.raises(Conflict, match=f"当前为{status}，不能添加照片"):
        tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id, photos=[("a.jpg", JPEG)])
    assert db_state() == before


def test_unknown_ticket_or_photo_is_not_found(desk):
    with pytest.raises(NotFound):
        tickets.add_photos(actor=ENGINEER, ticket_id=999_999, photos=[("a.jpg", JPEG)])
    with pytest.raises(NotFound, match="照片不存在"):
        ticket_photos.photo_file(actor=ENGINEER, photo_id=999_999)


# --- permissions -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", roles_without("tickets.handle"))
def test_roles_that_do_not_handle_tickets_cannot_add_photos(desk, role):
    ticket_id = _take(desk)
    before = db_state()
    with pytest.raises(PermissionDenied, match="处理工单"):
        tickets.add_photos(actor=actor_for(role), ticket_id=ticket_id, photos=[("a.jpg", JPEG)])
    assert db_state() == before


@pytest.mark.parametrize("role", roles_with("tickets.handle"))
def test_roles_that_handle_tickets_can_add_photos(desk, role):
    ticket_id = _take(desk)
    tickets.add_photos(actor=actor_for(role), ticket_id=ticket_id, photos=[("a.jpg", JPEG)])
    assert len(ticket_photos.list_photos(actor=CASHIER, ticket_id=ticket_id)) == 1  # a viewer sees them


@pytest.mark.parametrize("role", roles_without("tickets.take"))
def test_roles_that_take_no_calls_cannot_bring_photos_with_one(desk, role):
    with pytest.raises(PermissionDenied):
        _take(desk, [("a.jpg", JPEG)], actor=actor_for(role))
    assert count_rows(TicketPhoto) == 0


# --- two people adding photos at once ---------------------------------------------------------------------


def test_two_people_adding_photos_at_once_cannot_pass_nine_together(desk, monkeypatch):
    import threading

    ticket_id = _take(desk, [("0.jpg", JPEG)])
    real_count = ticket_photos.count

    def slow_count(session, tid):  # widen the window between counting and writing
        n = real_count(session, tid)
        time.sleep(0.3)
        return n

    monkeypatch.setattr(ticket_photos, "count", slow_count)
    results: list[object] = [None, None]

    def run(i):
        try:
            results[i] = tickets.add_photos(actor=ENGINEER, ticket_id=ticket_id,
                                            photos=[(f"{i}-{k}.png", PNG) for k in range(5)])
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results
    assert "已有 6 张，本次 5 张" in refused[0].errors["照片"]
    assert count_rows(TicketPhoto) == 6


def test_the_photo_export_lists_the_photos_without_their_bytes(desk):
    import pandas as pd

    from services.admin.system import export_table

    ticket_id = _take(desk, [("渗水.jpg", JPEG), ("天花板.png", PNG)])
    data = export_table("ticket_photos", "csv")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert "data" not in frame.columns
    assert frame[["ticket_id", "filename", "content_type", "size"]].values.tolist() == [
        [str(ticket_id), "渗水.jpg", "image/jpeg", str(len(JPEG))], [str(ticket_id), "天花板.png", "image/png",
                                                                      str(len(PNG))]]
    assert JPEG[:16] not in data and PNG[:16] not in data
