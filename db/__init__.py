"""Persistence: typed models, engine and sessions, column types, Alembic migrations.

Nothing here imports Streamlit. Nothing here commits on its own: services own transactions.
"""
