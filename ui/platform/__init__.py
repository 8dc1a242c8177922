"""Platform pieces of the UI: sign-in and password forms.
"""
