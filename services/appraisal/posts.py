"""岗位 (posts): a reference table the admin keeps on /admin like departments (services/admin/reference.py lists,
edits and adds the rows). Staff, the KPI set of each post and the reward/penalty rules point at a post's id, so
a post renamed from 维修工 to 工程 keeps its staff and its KPI set. A post is deactivated, never deleted:
history points at it. An inactive post is not offered for new staff, KPI sets or rules; those who hold it
keep it.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Department, Post

# The posts of a service centre (seeds 002–004), what a fresh install starts from; the migration that created
# the table wrote the same list.
DEFAULT_POSTS = ("客服主管", "客服前台", "物业管理员", "收费员", "内勤", "维修工", "工程主管", "秩序维护员", "保洁员",
                 "系统管理员")


def seed_posts(session: Session) -> bool:
    """The default posts, on an empty table; True when added."""
    if session.scalar(select(Post.id).limit(1)) is not None:
        return False
    session.add_all(Post(code=f"P{i:02d}", name=name, active=True) for i, name in enumerate(DEFAULT_POSTS, 1))
    session.flush()
    return True


def active_post_ids(session: Session) -> dict[str, int]:
    """Active posts, name -> id, in code order (what a form offers)."""
    return dict(session.execute(select(Post.name, Post.id).where(Post.active.is_(True)).order_by(Post.code)).all())


def post_ids(session: Session) -> dict[str, int]:
    """Every post, name -> id (what a name already stored may refer to)."""
    return dict(session.execute(select(Post.name, Post.id)).all())


def post_names() -> list[str]:
    """Active post names in code order, for choice lists."""
    with read_session() as s:
        return list(active_post_ids(s))


def add_named(session: Session, model: type[Post] | type[Department], prefix: str,
              names: Iterable[str]) -> dict[str, int]:
    """Create active rows of a code-and-name reference table (posts, departments) for `names`, each with the next
    free code <prefix><nn> (the caller checked the names are new and writes the audit rows); name -> id."""
    codes = set(session.scalars(select(model.code)))
    numbers = [int(c[len(prefix):]) for c in codes if c.startswith(prefix) and c[len(prefix):].isdigit()]
    n = max(numbers, default=0)
    created: dict[str, int] = {}
    for name in names:
        n += 1
        while f"{prefix}{n:02d}" in codes:
            n += 1
        row = model(code=f"{prefix}{n:02d}", name=name, active=True)
        session.add(row)
        session.flush()
        created[name] = row.id
    return created
