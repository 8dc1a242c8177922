"""Admin pieces of the UI (/admin): the go-live checklist 上线检查.
"""
