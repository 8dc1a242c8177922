"""The workbench 工作台: what each role's home (`/`) shows, read from the domains that own each figure.

Invariants: each block is one query (or one call of the figure function that the reports use), never pandas over a
whole table; a month's figures come from services/kpi, so the home page and the reports agree.

Open first: home.py.
"""
