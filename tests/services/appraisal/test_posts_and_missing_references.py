"""岗位 as a reference table, and the staff import on a company's first day: departments and posts the file names
that do not exist are listed as 将新建, created only when confirmed, in the import's own transaction."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import AuditEntry, Department, Post, PostKpi, Staff
from services.admin import reference
from services.appraisal import rules, scorecards, staff, staff_import
from services.appraisal.posts import DEFAULT_POSTS, post_names
from services.platform.auth import SYSTEM_ACTOR, Actor, Role
from services.platform.editing import RowEdit
from services.platform.errors import PermissionDenied, ValidationError
from services.platform.period import Period
from tests.factories import (
    actor_for,
    make_department,
    make_login,
    make_member,
    seed_appraisal,
    sheet_workbook,
)

TITLE = "员工名单"


def staff_file(rows: list[dict]) -> bytes:
    return sheet_workbook(rows, headers=staff_import.STAFF_HEADERS, title=TITLE, sheet="员工档案")


def person(staff_no: str, name: str, department: str, post: str, salary: str = "4000.00") -> dict:
    return {"工号": staff_no, "姓名": name, "部门": department, "岗位": post, "入职日期": "2024-03-01",
            "基本工资": salary}


def counts() -> tuple[int, int, int, int]:
    with read_session() as s:
        return tuple(s.scalar(select(func.count()).select_from(m)) for m in (Department, Post, Staff, AuditEntry))


FIRST_DAY = [person("G001", "管一", "管家部", "管家"), person("G002", "管二", "管家部", "管家"),
             person("E001", "工一", "工程部", "工程", "5200.50"), person("F001", "收一", "财务部", "收费员")]


def test_a_fresh_install_has_the_seed_posts_and_no_department(db):
    assert post_names() == list(DEFAULT_POSTS)
    assert counts()[0] == 0


def test_on_a_fresh_install_the_preview_lists_what_it_would_create_and_refuses_without_confirmation(db):
    before = counts()
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=staff_file(FIRST_DAY))
    assert preview.counts.new_departments == ("管家部", "工程部", "财务部")
    assert preview.counts.new_posts == ("管家", "工程")  # 收费员 is a seed post
    messages = [str(p) for p in preview.problems]
    # no department exists at all: the message says so and where to add one
    assert messages[0] == ("第 3 行 · 部门：系统中还没有任何部门（文件中为“管家部”）：请先在“系统管理 → 部门”中添加，或"
                           + staff_import.CREATE_HINT)
    assert "第 3 行 · 岗位：系统中没有岗位“管家”（将新建，需确认）；已有：" + "、".join(DEFAULT_POSTS) in messages[1]
    assert len(messages) == 7  # four departments, three posts (收费员 exists)
    with pytest.raises(ValidationError):
        staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=preview)
    assert counts() == before


def test_confirmed_the_departments_posts_and_staff_are_written_together_and_audited(db):
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=staff_file(FIRST_DAY), create_missing=True)
    assert preview.ok and list(preview.rows["处理"]) == ["新增"] * 4
    assert preview.counts.summary() == ("共 4 行：新增员工 4、修改 0、不变 0；新建部门 3 个（管家部、工程部、财务部）；"
                                        "新建岗位 2 个（管家、工程）")
    result = staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=preview)
    assert result.new == 4 and result.new_posts == ("管家", "工程")
    with read_session() as s:
        departments = dict(s.execute(select(Department.name, Department.code)).all())
        assert departments == {"管家部": "D01", "工程部": "D02", "财务部": "D03"}
        assert s.execute(select(Post.code).where(Post.name.in_(["管家", "工程"])).order_by(Post.code)).scalars().all() \
            == ["P11", "P12"]
        placed = s.execute(select(Staff.staff_no, Department.name, Post.name).join(Department).join(Post)
                           .order_by(Staff.staff_no)).all()
        assert [tuple(r) for r in placed] == [("E001", "工程部", "工程"), ("F001", "财务部", "收费员"),
                                             ("G001", "管家部", "管家"), ("G002", "管家部", "管家")]
        created = s.execute(select(AuditEntry.entity, AuditEntry.action)
                            .where(AuditEntry.entity.in_(["departments", "posts", "staff"]))).all()
    assert sorted(map(tuple, created)) == [("departments", "create")] * 3 + [("posts", "create")] * 2 + [
        ("staff", "import")]
    # the same file again: nothing is missing, nothing changes
    again = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=staff_file(FIRST_DAY), create_missing=True)
    assert again.ok and again.counts.changes == 0 and again.counts.new_departments == ()


def test_a_bad_row_writes_nothing_not_even_the_departments_and_posts(db):
    before = counts()
    bad = [*FIRST_DAY, person("X001", "坏", "保安部", "保安", "4000.001")]
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=staff_file(bad), create_missing=True)
    assert [str(p) for p in preview.problems] == ["第 7 行 · 基本工资：最多两位小数（收到 4000.001）"]
    with pytest.raises(ValidationError):
        staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=preview)
    assert counts() == before


def test_a_deactivated_post_is_not_recreated_and_the_message_says_to_enable_it(db):
    with read_session() as s:
        post_id = s.scalar(select(Post.id).where(Post.name == "保洁员"))
    reference.update_reference(actor=SYSTEM_ACTOR, table="posts", edits=[RowEdit(post_id, 1, {"active": "否"})])
    make_department("KF", "客服部")
    preview = staff_import.preview_staff_import(
        actor=SYSTEM_ACTOR, source=staff_file([person("C001", "洁一", "客服部", "保洁员")]), create_missing=True)
    assert [str(p) for p in preview.problems] == [
        "第 3 行 · 岗位：“保洁员”已停用；请在“系统管理”中启用，或改用其他岗位"]
    assert preview.counts.new_posts == ()
    assert "保洁员" not in post_names()


def test_a_manager_cannot_create_departments_or_posts_through_the_import(db):
    department = make_department("KF", "客服部")
    boss = make_member("M001", "主管", "客服主管", department_id=department)
    manager = Actor(user_id=make_login("boss", "主管", role=Role.MANAGER, staff_id=boss), username="boss",
                    display_name="主管", role=Role.MANAGER, staff_id=boss)
    preview = staff_import.preview_staff_import(
        actor=manager, source=staff_file([person("C001", "管一", "客服部", "管家")]), create_missing=True)
    assert [str(p) for p in preview.problems] == [
        "第 3 行 · 岗位：系统中没有岗位“管家”；新建岗位需要维护基础资料的权限（系统管理员）"]


def test_a_renamed_post_keeps_its_staff_and_its_kpi_set(db):
    seed_appraisal()
    department = make_department("GC", "工程部")
    worker = make_member("W001", "李工", "维修工", department_id=department)
    kpis = [(r.kpi, r.weight) for r in rules.post_kpis(actor=SYSTEM_ACTOR, post="维修工")]
    assert kpis
    with read_session() as s:
        post = s.execute(select(Post.id, Post.version).where(Post.name == "维修工")).one()
        kpi_rows = s.scalar(select(func.count()).select_from(PostKpi).where(PostKpi.post_id == post.id))
    reference.update_reference(actor=SYSTEM_ACTOR, table="posts",
                               edits=[RowEdit(post.id, post.version, {"name": "工程"})])
    assert [(r.kpi, r.weight) for r in rules.post_kpis(actor=SYSTEM_ACTOR, post="工程")] == kpis
    assert rules.post_kpis(actor=SYSTEM_ACTOR, post="维修工") == []
    assert rules.catalog_posts(actor=SYSTEM_ACTOR)["工程"] == kpi_rows
    with read_session() as s:
        (info,) = staff.staff_infos(s, [worker])
    assert (info.post_id, info.post) == (post.id, "工程")
    # the appraisal reads the set through the row: the card of the renamed post has its KPIs
    period = Period.parse("2025-03")
    card = scorecards.compute_cards([info], period, datetime(2025, 4, 1, tzinfo=UTC))[worker]
    assert [line.key for line in card.kpis] == [k for k, _w in kpis]


def test_staff_records_take_a_post_by_name_and_refuse_one_that_is_not_active(db):
    department = make_department("KF", "客服部")
    new = staff.NewStaff("S100", "新人", "客服部", "管家", date(2024, 1, 1), "4000")
    with pytest.raises(ValidationError) as caught:
        staff.create_staff(actor=SYSTEM_ACTOR, staff=new)
    assert caught.value.errors["岗位"].startswith("应为以下之一：客服主管、客服前台")
    reference.create_reference(actor=SYSTEM_ACTOR, table="posts", values={"code": "P20", "name": "管家"})
    staff_id = staff.create_staff(actor=SYSTEM_ACTOR, staff=new)
    with read_session() as s:
        (info,) = staff.staff_infos(s, [staff_id])
    assert (info.post, info.department_id) == ("管家", department)


def test_only_reference_editors_add_posts(db):
    clerk = actor_for(Role.CLERK)
    with pytest.raises(PermissionDenied):
        reference.create_reference(actor=clerk, table="posts", values={"code": "P20", "name": "管家"})
