"""Estate 房屋档案: units, people and households (owners, residents, move-in/out, VIP), keys, parking (spaces,
vehicles, leases), renovation, and the asset import from our template or HC小区管理系统.

Invariants: a unit's code (楼栋-单元-房号) is unique within its estate and its identity is not edited in a grid;
mobiles and ID numbers are masked for lists and revealed one at a time with an audit row (platform/privacy.py);
a person is one record however many units they hold; an import writes everything or nothing.

Open first: units.py (the units list and its edits), households.py (the unit card and its workflows), people.py
(the one search box), asset_import.py.
"""
