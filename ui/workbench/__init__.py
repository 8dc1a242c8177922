"""Streamlit pieces of the home page 工作台: one block per role's duty."""
