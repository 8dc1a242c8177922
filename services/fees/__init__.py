"""Fees 收费: the fee catalog and billing runs, the ledger of bills, payments and allocations, the cashier counter
with receipts and approvals, refunds of prepaid credit, arrears and dunning, receipts and notices as PDF,
the arrears import, the fee figures of KPI.md and the managers' reports.

Invariants: money is Decimal in Python and integer cents in the database; a bill is unique per (item, payer,
period); a payment and its receipt number are one transaction (gapless series per year); nothing posted is
edited or deleted — voids, waivers, cancellations and refunds are requests a different manager approves; no cent
appears or vanishes between payments, allocations, credit and refunds (ledger.py).

Open first: ledger.py (accounts, allocation, credit), billing.py (catalog and billing run), cashier.py (payments,
approvals, 日结), refunds.py, figures.py (KPIs), reports.py.
"""
