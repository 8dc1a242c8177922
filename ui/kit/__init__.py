"""Kit: the Streamlit pieces every page shares — the grid adapter (grid.py, the only user of streamlit-aggrid),
column specs, money tables, formatting, the session actor and flash messages, the import wizard, and the message
catalog (i18n.py).
"""
