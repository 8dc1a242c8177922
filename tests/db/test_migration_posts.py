"""Revision 0008 turns 岗位 from a name string into a reference table: every staff record, KPI set and rule of an
existing database keeps its post, a post name outside the seed list becomes a post of its own, and a rename
afterwards keeps the KPI set with its row."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from db import migrate
from db.engine import get_engine
from tests.db.conftest import at_revision, rows


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def at_0007(request, tmp_path) -> Iterator[str]:
    """A database migrated to 0007 (posts still name strings)."""
    yield from at_revision(request.param, tmp_path, "0007")


def test_existing_posts_become_rows_and_everything_keeps_its_post(at_0007):
    url = at_0007
    with get_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO staff (id, staff_no, name, post, active, base_salary, appraised, version) "
                          "VALUES (1, 'S1', '甲', '收费员', :t, 0, :t, 1), (2, 'S2', '乙', '管家', :t, 0, :t, 1), "
                          "(3, 'S3', '丙', '', :t, 0, :t, 1)"), {"t": True})
        conn.execute(text("INSERT INTO post_kpis (post, kpi, scope, target, weight, direction, active, version) "
                          "VALUES ('收费员', 'collection_rate', '本人', 95, 100, '越高越好', :t, 1), "
                          "('管家', 'revisit_rate', '本人', 90, 100, '越高越好', :t, 1)"), {"t": True})
        conn.execute(text("INSERT INTO appraisal_rules (name, post, metric, op, use_target, op2, effect, basis, "
                          "amount, per_occurrence, note, active, version) VALUES "
                          "('全员', '', 'att:late_count', '>=', :f, '', '扣款', '元', 10, :f, '', :t, 1), "
                          "('管家规则', '管家', 'att:late_count', '>=', :f, '', '扣款', '元', 10, :f, '', :t, 1)"),
                     {"t": True, "f": False})
    migrate.upgrade(url)
    posts = dict(rows(url, "SELECT name, id FROM posts"))
    assert len(posts) == 11 and posts["收费员"] == 4 and posts["管家"] == 11
    assert rows(url, "SELECT code FROM posts WHERE name = '管家'") == [("P11",)]
    assert rows(url, "SELECT staff_no, post_id FROM staff ORDER BY staff_no") == [
        ("S1", posts["收费员"]), ("S2", posts["管家"]), ("S3", None)]
    assert sorted(rows(url, "SELECT post_id, kpi FROM post_kpis")) == [
        (posts["收费员"], "collection_rate"), (posts["管家"], "revisit_rate")]
    assert sorted(rows(url, "SELECT name, post_id FROM appraisal_rules"), key=str) == [
        ("全员", None), ("管家规则", posts["管家"])]
    with get_engine(url).begin() as conn:  # a post added after the migration gets the next id
        conn.execute(text("INSERT INTO posts (code, name, active, version) VALUES ('P12', '工程', :t, 1)"),
                     {"t": True})
    assert rows(url, "SELECT id FROM posts WHERE name = '工程'") == [(12,)]

    command.downgrade(migrate.alembic_config(url), "0007")
    assert rows(url, "SELECT staff_no, post FROM staff ORDER BY staff_no") == [
        ("S1", "收费员"), ("S2", "管家"), ("S3", "")]
    assert sorted(rows(url, "SELECT post, kpi FROM post_kpis")) == [
        ("收费员", "collection_rate"), ("管家", "revisit_rate")]
