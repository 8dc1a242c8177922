"""Demo: builds the demo estate (units, people, tickets, two years of fees, a year of appraisal) through the real
services. It holds no rule; nothing imports it but the CLI and the tests.

Open first: builder.py (build_demo), then fees.py and appraisal.py; the large demo (`scale="large"`, five years
written in bulk) is large.py with large_tickets.py, large_fees.py and bulk.py.
"""
