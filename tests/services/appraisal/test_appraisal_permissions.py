"""Who sees, builds, enters and approves what (services/appraisal/staff.staff_scope and the appraisal services).

Two departments: 客服部 — 邓主管 (客服主管, manager account kf_boss), 王芳 (客服前台, service account svc), 钱内勤
(内勤, clerk account clerk); 工程部 — 何主管 (工程主管, manager account gc_boss), 李工 (维修工, engineer account
eng). 周管理 (系统管理员, appraised here) has an admin account linked to her record (sysadmin); `admin` is an
admin account linked to nobody; `lost_boss` is a manager account linked to nobody. P = 2026-03, clock pinned
at 2026-03-31 20:00, cards built "on" 2026-04-02.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest

from db.models import Attendance, Scorecard
from services.appraisal import scorecards as appraisal
from services.appraisal import staff
from services.appraisal.scorecards import DRAFT, SUBMITTED, BuildResult
from services.appraisal.staff import NewIncident, SheetResult
from services.platform.auth import Actor, Role
from services.platform.clock import SHANGHAI
from services.platform.editing import RowEdit
from services.platform.errors import NotFound, PermissionDenied
from tests.factories import (
    attendance_row,
    card_of,
    count_rows,
    fee_login,
    get_row,
    make_department,
    make_member,
    month_sheet,
    pin_appraisal_clock,
    seed_appraisal,
)

P = "2026-03"
BUILT = datetime(2026, 4, 2, 9, tzinfo=SHANGHAI)
MARCH_9 = date(2026, 3, 9)


@dataclass(frozen=True)
class Centre:
    types: dict[str, int]
    deng: int
    wang: int
    qian: int
    he: int
    li: int
    zhou: int
    kf_boss: Actor
    svc: Actor
    clerk: Actor
    gc_boss: Actor
    eng: Actor
    sysadmin: Actor
    admin: Actor
    lost_boss: Actor


@pytest.fixture
def centre(db, monkeypatch) -> Centre:
    pin_appraisal_clock(monkeypatch, datetime(2026, 3, 31, 20, tzinfo=SHANGHAI))
    types = seed_appraisal()
    kf, gc, it = make_department("KF", "客服部"), make_department("GC", "工程部"), make_department("IT", "信息部")
    ids = dict(deng=make_member("K001", "邓主管", "客服主管", department_id=kf),
               wang=make_member("K002", "王芳", "客服前台", department_id=kf),
               qian=make_member("K003", "钱内勤", "内勤", department_id=kf),
               he=make_member("G001", "何主管", "工程主管", department_id=gc),
               li=make_member("G002", "李工", "维修工", department_id=gc),
               zhou=make_member("I001", "周管理", "系统管理员", department_id=it))
    return Centre(types=types, **ids,
                  kf_boss=fee_login(Role.MANAGER, "kf_boss", "邓主管", staff_id=ids["deng"]),
                  svc=fee_login(Role.SERVICE, "svc", "王芳", staff_id=ids["wang"]),
                  clerk=fee_login(Role.CLERK, "clerk", "钱内勤", staff_id=ids["qian"]),
                  gc_boss=fee_login(Role.MANAGER, "gc_boss", "何主管", staff_id=ids["he"]),
                  eng=fee_login(Role.ENGINEER, "eng", "李工", staff_id=ids["li"]),
                  sysadmin=fee_login(Role.ADMIN, "sysadmin", "周管理", staff_id=ids["zhou"]),
                  admin=fee_login(Role.ADMIN, "admin", "系统管理员"),
                  lost_boss=fee_login(Role.MANAGER, "lost_boss", "无档案主管"))


def _build(actor: Actor, **kwargs) -> BuildResult:
    return appraisal.build_drafts(actor=actor, period=P, now=BUILT, **kwargs)


def _version(card_id: int) -> int:
    return get_row(Scorecard, card_id).version


def _submit(by: Actor, card_id: int) -> None:
    appraisal.set_comments(actor=by, card_id=card_id, version=_version(card_id), comments="认真负责")
    appraisal.submit(actor=by, card_id=card_id, version=_version(card_id))


def _names(actor: Actor) -> list[str]:
    return sorted(appraisal.month_view(actor=actor, period=P)["name"])


def test_the_clerk_enters_everybodys_attendance_but_cannot_build_appraise_or_approve(centre):
    """The clerk's sheet covers all six people in service (22 working days each: 132 rows); she edits a day of
    李工 of another department. She may not build cards, record incidents or approve; she reads only her own
    card, once submitted. A manager's sheet covers his department only, and he may not edit another's days."""
    c = centre
    assert staff.generate_month_sheet(actor=c.clerk, period=P) == SheetResult(132, 6, 22)
    li_day = attendance_row(c.li, MARCH_9)
    assert staff.update_attendance(actor=c.clerk, edits=[RowEdit(li_day.id, li_day.version,
                                                                  {"late_minutes": 7})]) == 1
    assert attendance_row(c.li, MARCH_9).late_minutes == 7
    with pytest.raises(PermissionDenied, match="编制月度考核"):
        _build(c.clerk)
    with pytest.raises(PermissionDenied, match="登记奖惩记录"):
        staff.record_incident(actor=c.clerk, incident=NewIncident(c.li, c.types["仪容不整"], MARCH_9))
    _build(c.admin)
    with pytest.raises(PermissionDenied, match="审批考核表"):
        appraisal.approve(actor=c.clerk, card_id=card_of(c.li, P).id, version=_version(card_of(c.li, P).id))
    with pytest.raises(NotFound):
        appraisal.scorecard(actor=c.clerk, card_id=card_of(c.li, P).id)
    assert _names(c.clerk) == []

    # a manager's attendance scope is his department
    li_day = attendance_row(c.li, MARCH_9)
    with pytest.raises(PermissionDenied, match="录入其他部门员工的考勤"):
        staff.update_attendance(actor=c.kf_boss, edits=[RowEdit(li_day.id, li_day.version, {"late_minutes": 0})])
    assert attendance_row(c.li, MARCH_9).late_minutes == 7


def test_a_managers_sheet_covers_his_department_only(centre):
    """邓主管 generates the sheet: his three people of the 客服部, 22 days each; nobody else has a row."""
    assert staff.generate_month_sheet(actor=centre.kf_boss, period=P) == SheetResult(66, 3, 22)
    assert count_rows(Attendance) == 66


def test_a_service_clerk_sees_only_her_own_card_and_only_once_submitted(centre):
    """王芳's card as a draft: NotFound for her, as is anybody else's card; her month view is empty. Once her
    manager submits it she reads it (rank 1 of the one card she sees), it is listed among her cards, and her
    KPI trend reads from it; 李工's card and trend stay NotFound. She builds, records and approves nothing."""
    c = centre
    month_sheet(P)
    _build(c.admin)
    own = card_of(c.wang, P)
    others = [card_of(who, P).id for who in (c.deng, c.qian, c.he, c.li)]
    for card_id in (own.id, *others):
        with pytest.raises(NotFound, match="没有这张考核表，或无权查看"):
            appraisal.scorecard(actor=c.svc, card_id=card_id)
    assert _names(c.svc) == []
    assert appraisal.own_scorecards(actor=c.svc) == []

    _submit(c.kf_boss, own.id)
    seen = appraisal.scorecard(actor=c.svc, card_id=own.id)
    assert (seen.name, seen.status) == ("王芳", SUBMITTED)
    view = appraisal.month_view(actor=c.svc, period=P)
    assert view[["name", "status", "rank"]].values.tolist() == [["王芳", SUBMITTED, 1]]
    assert appraisal.own_scorecards(actor=c.svc) == [(own.id, P, SUBMITTED)]
    assert appraisal.kpi_trend(actor=c.svc, staff_id=c.wang, months=[P])["kpi"].tolist() == ["有效投诉"]
    with pytest.raises(NotFound):
        appraisal.scorecard(actor=c.svc, card_id=card_of(c.li, P).id)
    with pytest.raises(NotFound):
        appraisal.kpi_trend(actor=c.svc, staff_id=c.li, months=[P])
    with pytest.raises(PermissionDenied):
        _build(c.svc)
    with pytest.raises(PermissionDenied):
        appraisal.approve(actor=c.svc, card_id=own.id, version=_version(own.id))
    with pytest.raises(PermissionDenied):
        staff.record_incident(actor=c.svc, incident=NewIncident(c.wang, c.types["业主表扬"], MARCH_9))
    with pytest.raises(PermissionDenied, match="录入考勤"):
        staff.generate_month_sheet(actor=c.svc, period=P)


def test_a_manager_sees_builds_and_appraises_only_his_departments_cards(centre):
    """邓主管 builds: the three cards of the 客服部 only (created 3); the others are 未生成 for the admin.
    Asked for 李工 by id, his build creates nothing. 何主管 builds the 工程部's two. Each manager's month view
    lists his department; 邓主管 reading, commenting or submitting 李工's card gets NotFound, and recording an
    incident for 李工 is refused; for 王芳 it is allowed."""
    c = centre
    assert _build(c.kf_boss, staff_ids=[c.li]) == BuildResult(P, 0, 0, 0)
    assert _build(c.kf_boss) == BuildResult(P, 3, 0, 0)
    admin_view = appraisal.month_view(actor=c.admin, period=P)
    assert sorted(admin_view[admin_view["status"] == "未生成"]["name"]) == ["何主管", "周管理", "李工"]
    assert _build(c.gc_boss) == BuildResult(P, 2, 0, 0)
    assert _names(c.kf_boss) == ["王芳", "邓主管", "钱内勤"]
    assert _names(c.gc_boss) == ["何主管", "李工"]

    li_card = card_of(c.li, P).id
    with pytest.raises(NotFound):
        appraisal.scorecard(actor=c.kf_boss, card_id=li_card)
    with pytest.raises(NotFound):
        appraisal.set_comments(actor=c.kf_boss, card_id=li_card, version=_version(li_card), comments="越权")
    with pytest.raises(NotFound):
        appraisal.submit(actor=c.kf_boss, card_id=li_card, version=_version(li_card))
    with pytest.raises(NotFound):
        appraisal.evidence(actor=c.kf_boss, card_id=li_card, key="repair_timeliness")
    with pytest.raises(NotFound):
        appraisal.kpi_trend(actor=c.kf_boss, staff_id=c.li, months=[P])
    with pytest.raises(PermissionDenied, match="为其他部门的员工登记奖惩"):
        staff.record_incident(actor=c.kf_boss, incident=NewIncident(c.li, c.types["仪容不整"], MARCH_9))
    assert staff.record_incident(actor=c.kf_boss, incident=NewIncident(c.wang, c.types["业主表扬"], MARCH_9))
    assert get_row(Scorecard, li_card).comments == ""
    # the manager reads his own department's drafts, his own included
    assert appraisal.scorecard(actor=c.kf_boss, card_id=card_of(c.deng, P).id).status == DRAFT


def test_the_admin_sees_every_card_and_a_manager_without_a_staff_record_sees_nobody(centre):
    """The admin (no staff record) sees all six cards. lost_boss (manager, no staff record): an empty month
    view, a build that creates nothing, NotFound on any card, and a hint saying why."""
    c = centre
    _build(c.admin)
    assert _names(c.admin) == ["何主管", "周管理", "李工", "王芳", "邓主管", "钱内勤"]
    assert _names(c.lost_boss) == []
    assert _build(c.lost_boss) == BuildResult(P, 0, 0, 0)
    with pytest.raises(NotFound):
        appraisal.scorecard(actor=c.lost_boss, card_id=card_of(c.wang, P).id)
    assert staff.staff_choices(actor=c.lost_boss) == {}
    assert staff.scope_hint(c.lost_boss) == "您的账户没有关联员工档案，无法确定所属部门；请系统管理员在“用户”中关联"
    assert staff.scope_hint(c.kf_boss) == staff.scope_hint(c.admin) == ""


def test_nobody_approves_or_reopens_their_own_card(centre):
    """邓主管's own card, submitted by the admin: he may not approve it; the admin does. He may not reopen it
    either. 周管理 (admin, linked to her own record) may not approve hers."""
    c = centre
    month_sheet(P)
    _build(c.admin)
    mine = card_of(c.deng, P).id
    _submit(c.admin, mine)
    with pytest.raises(PermissionDenied, match="审批自己的考核表"):
        appraisal.approve(actor=c.kf_boss, card_id=mine, version=_version(mine))
    assert get_row(Scorecard, mine).status == SUBMITTED
    appraisal.approve(actor=c.admin, card_id=mine, version=_version(mine))
    with pytest.raises(PermissionDenied, match="重新打开自己的考核表"):
        appraisal.reopen(actor=c.kf_boss, card_id=mine, version=_version(mine), reason="想改")
    hers = card_of(c.zhou, P).id
    with pytest.raises(PermissionDenied, match="审批自己的考核表"):
        appraisal.approve(actor=c.sysadmin, card_id=hers, version=_version(hers))
