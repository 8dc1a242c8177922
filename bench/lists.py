"""Case 3: the /owners search box (unit code, pinyin initials, phone tail) and the register grids' first page,
filter and sort, at the scale of the database in use. Floor: a one-row primary-key query on the same database.
"""

from __future__ import annotations

from bench.common import Row, Settings, median_ms, within

SEARCH_TARGET = "<100 ms"
GRID_TARGET = "<500 ms"


def bench_lists(settings: Settings, scale: str) -> list[Row]:
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import Person, Unit
    from services.admin.audit_log import list_audit
    from services.estate.people import list_people, search
    from services.estate.units import list_units
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import MAX_PAGE_SIZE, ListQuery
    from services.tickets.lists import list_tickets

    runs = 1 if settings.smoke else max(settings.runs, 7)

    def floor_query() -> None:
        with read_session() as s:
            s.get(Unit, 1)

    floor = median_ms(floor_query, runs)
    first = list_units(actor=SYSTEM_ACTOR, query=ListQuery(page_size=1)).rows
    unit_code = str(first.iloc[0]["code"]) if len(first) else "1-1-101"
    with read_session() as s:
        mobile = s.scalar(select(Person.mobile).where(Person.mobile != "").order_by(Person.id).limit(1))
    tail = (mobile or "13800000000")[-4:]
    rows: list[Row] = []
    searches = {"unit code": unit_code, "pinyin initials 'zw'": "zw", "surname '张'": "张", "phone tail": tail}
    for label, text in searches.items():
        ms = median_ms(lambda text=text: search(actor=SYSTEM_ACTOR, text=text), runs)
        rows.append(Row("search", f"[{scale}] search box: {label} ({text!r})", ms, floor, SEARCH_TARGET,
                        within(ms, None, limit_ms=100)))
    grids = {
        "units: first page": (list_units, ListQuery()),
        "units: filter 状态=空置": (list_units, ListQuery(filters={"status": "空置"})),
        "units: sort by area, descending": (list_units, ListQuery(sort="built_area", descending=True)),
        f"units: page 20 of {MAX_PAGE_SIZE}-row pages": (list_units, ListQuery(page=20, page_size=MAX_PAGE_SIZE)),
        "people: first page": (list_people, ListQuery()),
        "people: search '张'": (list_people, ListQuery(search="张")),
        "tickets: first page": (list_tickets, ListQuery()),
        "tickets: sort by received, descending": (list_tickets, ListQuery(sort="received_at", descending=True)),
        "audit trail: first page": (list_audit, ListQuery()),
    }
    for label, (fn, query) in grids.items():
        def page(fn=fn, query=query, label=label) -> int:
            result = fn(actor=SYSTEM_ACTOR, query=query)
            assert len(result.rows) <= MAX_PAGE_SIZE, f"{label}: {len(result.rows)} rows on one page"
            return len(result.rows)

        ms = median_ms(page, runs)
        rows.append(Row("grids", f"[{scale}] {label}", ms, floor, GRID_TARGET, within(ms, None, limit_ms=500)))
    return rows
