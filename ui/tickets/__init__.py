"""Tickets UI: the ticket panel (timeline and the moves a role may make) and the ticket-register import wizard.
"""
