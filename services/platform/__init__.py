"""Platform: what every domain stands on — who is acting and what they may do, the audit trail, validation, errors,
paged lists, grid edits, gapless counters, the clock, periods and rates, the Excel reader, writer and import
pipeline, identifiers.

Invariants: every write service calls `auth.require(actor, action)` (auth.PERMISSIONS is the one permission table)
and writes its audit row (audit.record) in its own transaction; errors reaching a page are DomainError subclasses
(errors.py) with Chinese messages naming the field and the rule; an edit carries the version the user saw
(editing.apply_edits raises StaleEdit); numbers people cite come from a locked counter row (counters.py).
Nothing here imports another domain.

Open first: auth.py (Actor, roles, PERMISSIONS), errors.py, validate.py (FieldRule, RecordRules), tablespec.py
(one TableSpec per editable table: its rules, and what the grid and add form show), listing.py
(ListQuery -> PageResult, filtered and paged in SQL), editing.py, audit.py, importing.py (the one Excel import
pipeline: each import declares its columns, row parser, plan and writer).
"""
