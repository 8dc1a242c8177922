"""Who is acting: the roles of the console and the Actor every service takes (a signed-in user or the command line).

Kept apart from auth.py (sign-in and the permission table) so the audit trail can name an actor without importing
auth, which itself writes audit rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SERVICE = "service"
    CASHIER = "cashier"
    ENGINEER = "engineer"
    CLERK = "clerk"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.MANAGER: "客服主管",
    Role.SERVICE: "客服专员",
    Role.CASHIER: "收费员",
    Role.ENGINEER: "维修工程",
    Role.CLERK: "内勤",
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user, or the command line."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    staff_id: int | None = None
    must_change_password: bool = False
    # The estates the user works in; None: every estate (an administrator, the command line, a user given all).
    # Read at sign-in: a change an administrator makes takes effect at the user's next sign-in.
    estate_ids: frozenset[int] | None = None


SYSTEM_ACTOR = Actor(user_id=None, username="system", display_name="命令行", role=Role.ADMIN)
