"""Applying a batch of grid edits: all rows or none.

Invariants: each edit names the version the user saw; every field of every row
is validated before anything is written; a row changed by someone else since
(version mismatch) refuses the whole batch with StaleEdit; each changed row gets
one audit row with the before and after of the fields that changed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from services.platform import audit
from services.platform.auth import Actor
from services.platform.errors import Conflict, StaleEdit, ValidationError
from services.platform.validate import RecordRules


@dataclass(frozen=True)
class RowEdit:
    """The fields a user changed in one row, with the version they saw."""

    id: int
    version: int
    changes: Mapping[str, Any]


def flush_or_stale(session: Session) -> None:
    """Write the pending changes; a row someone else changed meanwhile (its version moved) is a StaleEdit."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleEdit() from exc


def apply_edits(
    session: Session,
    *,
    actor: Actor,
    model: type,
    entity: str,
    edits: Sequence[RowEdit],
    rules: RecordRules,
    row_label: Callable[[Any], str],
    check_row: Callable[[Any, Mapping[str, Any]], Mapping[str, str]] | None = None,
    visible: Callable[[Any], bool] | None = None,
) -> int:
    """Validate and apply `edits` inside the caller's transaction; return the number of rows changed.

    `visible` says whether the actor may see a row (its estate is theirs); a row they may not see is refused
    exactly as a row that no longer exists (StaleEdit naming its id, nothing written): no word of its existence."""
    row_errors: dict[str, dict[str, str]] = {}
    stale: list[str] = []
    planned: list[tuple[Any, dict[str, Any]]] = []
    for edit in edits:
        obj = session.get(model, edit.id)
        if obj is None or (visible is not None and not visible(obj)):
            stale.append(f"#{edit.id}")
            continue
        label = row_label(obj)
        values, errors = rules.parse(edit.changes)
        if not errors and check_row is not None:
            errors = dict(check_row(obj, values))
        if errors:
            row_errors[label] = errors
            continue
        if obj.version != edit.version:
            stale.append(label)
            continue
        changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
        if changed:
            planned.append((obj, changed))
    if row_errors:
        raise ValidationError(row_errors=row_errors)
    if stale:
        raise StaleEdit(f"该记录已被他人修改，请刷新后重试（{'、'.join(stale[:5])}）")
    for obj, changed in planned:
        before = audit.snapshot(obj, list(changed))
        for k, v in changed.items():
            setattr(obj, k, v)
        audit.record(session, actor, "update", entity, obj.id, before, changed)
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleEdit() from exc
    except IntegrityError as exc:
        raise Conflict("保存失败：与已有记录重复（编号或名称已存在）") from exc
    return len(planned)
