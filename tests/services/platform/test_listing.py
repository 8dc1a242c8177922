"""Server-side lists: page size capped, totals counted with the filters, search literal, paging stable."""

from __future__ import annotations

import pytest

from services.estate import units
from services.platform.auth import Role
from services.platform.listing import MAX_PAGE_SIZE, ListQuery
from tests.factories import actor_for, bulk_units, make_estate

VIEWER = actor_for(Role.ENGINEER)


@pytest.fixture
def many_units(db) -> list[int]:
    estate_id, [b1, b2] = make_estate(buildings=("1", "2"))
    ids = bulk_units(estate_id, b1, MAX_PAGE_SIZE + 20, status="已入住")
    ids += bulk_units(estate_id, b2, 30, status="空置", kind="商铺")
    return ids


@pytest.mark.parametrize("asked", [MAX_PAGE_SIZE + 1, 10_000, 10**9])
def test_page_size_is_capped_whatever_is_asked(many_units, asked):
    result = units.list_units(actor=VIEWER, query=ListQuery(page_size=asked))
    assert len(result.rows) == MAX_PAGE_SIZE
    assert result.page_size == MAX_PAGE_SIZE
    assert result.total == len(many_units)
    assert result.pages == 2


@pytest.mark.parametrize(("asked", "size"), [(0, 1), (-5, 1), (1, 1), (50, 50)])
def test_page_size_below_one_becomes_one(many_units, asked, size):
    result = units.list_units(actor=VIEWER, query=ListQuery(page_size=asked))
    assert (len(result.rows), result.page_size) == (size, size)


def test_page_beyond_the_last_shows_the_last_page(many_units):
    result = units.list_units(actor=VIEWER, query=ListQuery(page_size=100, page=999))
    assert result.page == result.pages == 6
    assert len(result.rows) == len(many_units) - 500
    assert units.list_units(actor=VIEWER, query=ListQuery(page=-3)).page == 1


def test_total_counts_with_the_filters_not_the_page(many_units):
    vacant = units.list_units(actor=VIEWER, query=ListQuery(filters={"status": "空置"}, page_size=7))
    assert (vacant.total, len(vacant.rows), vacant.pages) == (30, 7, 5)
    assert set(vacant.rows["status"]) == {"空置"}
    shops_occupied = units.list_units(actor=VIEWER, query=ListQuery(filters={"status": "已入住", "kind": "商铺"}))
    assert shops_occupied.total == 0 and shops_occupied.rows.empty
    everything = units.list_units(actor=VIEWER, query=ListQuery(filters={"status": "", "kind": None}))
    assert everything.total == len(many_units)


def test_export_query_returns_every_matching_row(many_units):
    result = units.list_units(actor=actor_for(Role.SERVICE), query=ListQuery(page_size=None))
    assert len(result.rows) == result.total == len(many_units)
    assert result.pages == 1


@pytest.fixture
def tricky_notes(db) -> dict[str, int]:
    estate_id, [b] = make_estate()
    notes = ["打折50%", "打折500", "a_b", "axb", "back\\slash", "backXslash", "O'Brien", "plain"]
    ids = bulk_units(estate_id, b, len(notes))
    from db.engine import unit_of_work
    from db.models import Unit

    with unit_of_work() as uow:
        for unit_id, note in zip(ids, notes, strict=True):
            uow.session.get(Unit, unit_id).note = note
        uow.commit()
    return dict(zip(notes, ids, strict=True))


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("50%", ["打折50%"]),
        ("%", ["打折50%"]),
        ("a_b", ["a_b"]),
        ("_", ["a_b"]),
        ("back\\slash", ["back\\slash"]),
        ("O'Brien", ["O'Brien"]),
        ("' OR 1=1 --", []),
        ("PLAIN", ["plain"]),  # case-insensitive search
        ("打折 500", ["打折500"]),  # every word must match
    ],
)
def test_search_matches_percent_underscore_and_quotes_literally(tricky_notes, search, expected):
    rows = units.list_units(actor=VIEWER, query=ListQuery(search=search)).rows
    assert sorted(rows["note"]) == sorted(expected)


@pytest.mark.parametrize(("sort", "descending"), [("status", False), ("status", True), ("kind", False),
                                                 ("built_area", True), ("code", False), ("no_such", False)])
def test_sorting_is_stable_across_pages(db, sort, descending):
    estate_id, [b] = make_estate()
    ids = bulk_units(estate_id, b, 40)  # every sort value equal: only the tie-break orders them
    seen: list[int] = []
    for page in range(1, 7):
        rows = units.list_units(actor=VIEWER, query=ListQuery(sort=sort, descending=descending, page=page,
                                                             page_size=7)).rows
        seen += [int(i) for i in rows["id"]]
    assert len(seen) == len(set(seen)) == len(ids)
    assert sorted(seen) == sorted(ids)


def test_unit_codes_sort_the_way_people_read_them(db):
    estate_id, [b1, b10, b2] = make_estate(buildings=("1", "10", "2"))
    from db.engine import unit_of_work
    from db.models import Unit

    with unit_of_work() as uow:
        for building_id, room, floor in ((b10, "101", 1), (b2, "1001", 10), (b2, "201", 2), (b1, "101", 1)):
            uow.session.add(Unit(estate_id=estate_id, building_id=building_id, unit_no="1", room_no=room,
                                 floor=floor, kind="住宅", status="已入住"))
        uow.commit()
    codes = list(units.list_units(actor=VIEWER, query=ListQuery()).rows["code"])
    assert codes == ["1-1-101", "2-1-201", "2-1-1001", "10-1-101"]


def test_long_search_text_is_cut_not_refused(db):
    estate_id, [b] = make_estate()
    bulk_units(estate_id, b, 2)
    result = units.list_units(actor=VIEWER, query=ListQuery(search="x" * 10_000))
    assert result.total == 0
