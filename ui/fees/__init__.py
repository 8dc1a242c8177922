"""Fees UI: the tabs of /fees (counter, approvals, 日结, billing and meters, arrears, reports, import) and the 收费 section
of the unit card.
"""
