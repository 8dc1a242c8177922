"""Business rules and transactions. No Streamlit here; pages reach the database only through these."""
