"""Customer relations 客户关系: the service centre's recurring duties beyond tickets and fees, each a register —
满意度调查 (surveys.py), 业主访谈 (visits.py), 社区文化活动 and 宣传栏 (activities.py), 公告 (notices.py, printed by
notice_print.py), 失物招领 (lost_found.py), 特约服务/家政 (paid_services.py), 巡查 and 违章 (inspections.py, the
整改通知书 by violation_notice.py), 值班与交接班 (handover.py). The figures of KPI.md's 客户关系 table live beside their
registers (surveys.survey_satisfaction / survey_coverage, visits.visit_completion / face_to_face_share,
activities.activity_progress) and are read through services/kpi.

Invariants: every change writes an audit row in its own transaction, or nothing is written; every form's bad
value is refused with the field and the rule in Chinese; a paid service is charged as a bill of its unit that the
cashier counter collects like any other (no second payment path); a failed inspection item becomes a ticket of the
tickets domain, not a record of its own.

Open first: the register you need; services/kpi for the numbers the home page and the appraisal read.
"""
