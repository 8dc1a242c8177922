"""Appraisal UI: the tabs of /appraisal (scorecards, charts, incidents and attendance, rules and posts) and the staff
and attendance import wizards.
"""
