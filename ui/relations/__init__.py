"""Streamlit pieces of 客户关系 (/relations): one module per register, each drawing its tab."""
