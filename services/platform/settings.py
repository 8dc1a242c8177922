"""Company-wide settings 系统设置 (the `settings` table): texts printed on receipts and notices.

Invariants:
- a key missing from the table reads as its default here (a new company prints sensible text);
- reading never writes; nothing is cached per process (several processes may serve the app).
"""

from __future__ import annotations

from sqlalchemy import select

from db.engine import read_session, unit_of_work
from db.models import Setting
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.errors import ValidationError
from services.platform.validate import FieldError, parse_text

DEFAULTS = {
    "company_name": "物业服务中心",
    "notice_contact": "物业服务中心",
}
LABELS = {"company_name": "公司名称", "notice_contact": "催缴通知联系方式"}


def get_setting(key: str, default: str | None = None) -> str:
    """The value of a setting, or its default when it was never set (or is blank)."""
    with read_session() as s:
        value = s.scalar(select(Setting.value).where(Setting.key == key))
    if value is not None and value.strip():
        return value
    return default if default is not None else DEFAULTS.get(key, "")


def update_settings(*, actor: Actor, values: dict[str, str]) -> None:
    """Change company texts (admin); every change is audited with its old value."""
    require(actor, "reference.edit")
    errors = {}
    parsed = {}
    for key, raw in values.items():
        if key not in DEFAULTS:
            errors[key] = "未知的设置项"
            continue
        try:
            parsed[key] = parse_text(raw, max_len=100)
        except FieldError as exc:
            errors[LABELS[key]] = str(exc)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        for key, value in parsed.items():
            row = s.get(Setting, key)
            before = row.value if row else None
            if row is None:
                s.add(Setting(key=key, value=value))
            elif row.value != value:
                row.value = value
            else:
                continue
            audit.record(s, actor, "update", "settings", key, {"value": before}, {"value": value})
        uow.commit()
