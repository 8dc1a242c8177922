"""The errors a page may show to a user.

Invariant: every message is Chinese, names the field and the rule, and is safe to
show as plain text. Pages catch DomainError only; anything else is a bug and is
caught once in app.py.
"""

from __future__ import annotations

from collections.abc import Mapping


class DomainError(Exception):
    """A refusal the user can act on."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ValidationError(DomainError):
    """One or more fields are wrong; all of them are reported at once.

    `errors` maps a field label to its message; `row_errors` maps a row id to
    such a mapping when a batch of grid edits was refused.
    """

    def __init__(
        self,
        errors: Mapping[str, str] | None = None,
        *,
        row_errors: Mapping[int, Mapping[str, str]] | Mapping[str, Mapping[str, str]] | None = None,
    ):
        self.errors = dict(errors or {})
        self.row_errors = {k: dict(v) for k, v in (row_errors or {}).items()}
        parts = [f"{field}：{msg}" for field, msg in self.errors.items()]
        for row_id, fields in self.row_errors.items():
            parts.extend(f"{row_id} · {field}：{msg}" for field, msg in fields.items())
        super().__init__("；".join(parts) or "输入有误")


class PermissionDenied(DomainError):
    def __init__(self, action_label: str):
        super().__init__(f"无权限：当前角色不能{action_label}")


class StaleEdit(DomainError):
    def __init__(self, message: str = "该记录已被他人修改，请刷新后重试"):
        super().__init__(message)


class NotFound(DomainError):
    pass


class Conflict(DomainError):
    pass


class AuthError(DomainError):
    """Sign-in refused (wrong password, locked, disabled)."""
