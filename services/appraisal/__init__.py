"""Appraisal 考核: staff records, attendance and incidents, the KPI set of each post and the reward/penalty rules,
monthly scorecards 草稿 -> 已提交 -> 已审批, their PDF, and the staff and attendance imports.

Invariants: a scorecard snapshots every value it used and never changes once submitted; reopening an approved card
needs a reason and is audited; nobody approves their own card; a post's KPI weights total 100%; KPI values come
from services.kpi only.

Open first: scorecards.py (build, score, approve), rules.py (KPI catalog and rule evaluation), staff.py
(staff, attendance, incidents).
"""
