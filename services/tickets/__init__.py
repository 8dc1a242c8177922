"""Tickets 报事: intake, dispatch, handling, revisits 回访 and complaint rulings, the boards, photos, the working-day
calendar behind the deadlines, the ticket figures of KPI.md and the import of a past ticket register.

Invariants: a ticket number comes from a counter row locked in the intake transaction (gapless per type and day);
the deadline is fixed at intake from the SLA policy then in force; every move is one transaction with one
timeline event and one audit row, and which role may make which move is the MOVES table of workflow.py.

Open first: workflow.py (the status machine), lists.py (boards and the ticket panel), figures.py (KPIs),
workdays.py (holidays and 调休).
"""
