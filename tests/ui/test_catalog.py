"""The message catalog covers every key the console uses, in both languages."""

import re
from pathlib import Path

from ui.appraisal.staff_import import ATTENDANCE, STAFF
from ui.estate.asset_import import ASSETS
from ui.kit import specs
from ui.kit.i18n import CATALOG
from ui.kit.specs import AUDIT, BUILDINGS, DEPARTMENTS, ESTATES, SLA_POLICIES, UNITS, USERS
from ui.tickets.ticket_import import TICKETS

ROOT = Path(__file__).resolve().parents[2]
KEY_RE = re.compile(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""")


def _used_keys() -> set[str]:
    keys = set()
    for path in [ROOT / "app.py", *(ROOT / "ui").glob("*.py"), *(ROOT / "screens").glob("*.py")]:
        keys |= set(KEY_RE.findall(path.read_text(encoding="utf-8")))
    for spec in (UNITS, USERS, ESTATES, BUILDINGS, DEPARTMENTS, AUDIT, SLA_POLICIES, specs.STAFF, specs.ATTENDANCE):
        keys |= {c.label for c in spec.columns} | {spec.search_hint}
    for wizard in (ASSETS, TICKETS, STAFF, ATTENDANCE):  # import wizards name their words as data, like the grid specs
        keys |= wizard.label_keys
    return keys


def test_every_used_key_is_in_the_catalog():
    missing = sorted(k for k in _used_keys() if k not in CATALOG)
    assert not missing, missing


def test_every_entry_has_chinese_and_english():
    for key, (zh, en) in CATALOG.items():
        assert zh.strip() and en.strip(), key
        words = re.sub(r"\{[a-z_]+\}", "", zh)
        if re.search(r"[A-Za-z\u4e00-\u9fff]", words):
            assert re.search(r"[\u4e00-\u9fff]", words), key
