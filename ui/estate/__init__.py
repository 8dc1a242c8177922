"""Estate UI: the unit card (search box, residents, history, workflows as dialogs) and the asset import wizard.
"""
