"""Admin 系统管理: what spans every domain — first-run set-up (migrate, seed each domain's reference data, the
admin user), SQLite backup and restore, table exports, the reference tables edited on /admin (estates,
buildings, departments, fee items, ticket categories, SLA policies, holidays), the audit-log reader of /audit and
the go-live checklist 上线检查 (/admin and `propdesk check-setup`).

It sits on top of the business domains (it seeds and labels all of them), beside demo; no domain imports it.

Open first: system.py (init, backup, restore, export), reference.py (REF_TABLES), audit_log.py, golive.py.
"""
