"""One declaration per editable table: its fields, how each is checked, and how the screens name it.

A `TableSpec` sits beside the service of its table. The service takes its `RecordRules` from it (edits in the
grid, and the add form where there is one); the UI builds its grid columns and add forms from the same fields
and adds only presentation (width, pinning, sorting, and a display kind such as area or money for a
hundredths field). Adding an editable column therefore touches the model, the migration and the spec.

Invariants: a blank value never reaches a column that cannot hold NULL (its rule says 必填); a field's `label` is
the Chinese name used in messages and the audit trail, `label_key` the message
catalog key the screens show; a choice field's `options` are what the user picks and reads (stored through
`stored_as` when the database keeps a code); `editable` means editable in the grid, `creatable` asked for when
a row is added.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from db.models import Base
from services.platform.validate import FieldRule, RecordRules


@dataclass(frozen=True)
class Field:
    """One column of an editable table and the rule its values obey."""

    name: str
    label: str
    label_key: str
    kind: str = "text"  # a FieldRule kind: text | int | hundredths | rate | date | choice | bool
    editable: bool = False
    creatable: bool = False
    required: bool = False
    max_len: int = 200
    options: tuple[str, ...] = ()
    min_value: Any = None
    max_value: Any = None
    pattern: str | None = None
    pattern_hint: str = ""
    stored_as: Mapping[str, str] | None = None
    check: Callable[[str], str] | None = None
    # what an add form starts from, where the field's first option would be the wrong guess
    default: Any = None
    # a key the lists show by name (department_id as "department"): the list column that stands for it
    listed_as: str = ""

    @property
    def rule(self) -> FieldRule:
        return self.rule_of("")

    def rule_of(self, table: str) -> FieldRule:
        """The field's rule; `table` (the spec's table) tells whether its column may be NULL."""
        column = Base.metadata.tables[table].c.get(self.name) if table in Base.metadata.tables else None
        return FieldRule(
            self.name, self.label, self.kind, required=self.required, max_len=self.max_len, choices=self.options,
            min_value=self.min_value, max_value=self.max_value, pattern=self.pattern,
            pattern_hint=self.pattern_hint, stored_as=self.stored_as, check=self.check,
            nullable=column is None or bool(column.nullable),
        )


@dataclass(frozen=True)
class TableSpec:
    """The fields of one editable table, in the order the screens show them."""

    name: str
    fields: tuple[Field, ...]
    # a check across fields of one parsed record (field label -> message)
    check: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = None

    def __post_init__(self) -> None:
        names = [f.name for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.name}: a field is declared twice")

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(f"{self.name} has no field {name!r}")

    @property
    def edit_rules(self) -> RecordRules:
        return RecordRules({f.name: f.rule_of(self.name) for f in self.fields if f.editable}, check=self.check)

    @property
    def create_rules(self) -> RecordRules:
        return RecordRules({f.name: f.rule_of(self.name) for f in self.fields if f.creatable}, check=self.check)

    @property
    def creatable_fields(self) -> tuple[Field, ...]:
        return tuple(f for f in self.fields if f.creatable)
