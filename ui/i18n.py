"""The one message catalog: Chinese first, English as the second language.

Service error messages are Chinese by design (they name fields and rules for the
staff); this catalog covers what the console itself says.
"""

from __future__ import annotations

import streamlit as st

LANGS = ("zh", "en")

CATALOG: dict[str, tuple[str, str]] = {
    # app shell
    "app.title": ("物业服务中心控制台", "PropDesk service-centre console"),
    "app.error": ("抱歉，系统出了点问题，操作未完成。请把错误编号 {error_id} 告诉系统管理员。",
                  "Sorry, something went wrong and the action was not completed. "
                  "Please give error id {error_id} to your administrator."),
    "app.schema": ("数据库未就绪", "Database not ready"),
    "app.language": ("语言 / Language", "Language / 语言"),
    "app.signed_in_as": ("{name}（{role}）", "{name} ({role})"),
    "app.logout": ("退出登录", "Sign out"),
    "nav.home": ("首页", "Home"),
    "nav.owners": ("房屋档案", "Units"),
    "nav.admin": ("系统管理", "Administration"),
    "nav.audit": ("操作日志", "Audit trail"),
    "nav.account": ("我的账户", "My account"),
    # login
    "login.title": ("登录", "Sign in"),
    "login.username": ("用户名", "Username"),
    "login.password": ("密码", "Password"),
    "login.submit": ("登录", "Sign in"),
    "login.hint": ("请输入用户名和密码。连续输错 5 次将锁定 15 分钟。",
                   "Enter your username and password. Five wrong attempts lock the account for 15 minutes."),
    # account
    "account.title": ("我的账户", "My account"),
    "account.must_change": ("首次登录或密码已被重置，请先修改密码。",
                            "Please change your password before you continue."),
    "account.old": ("原密码", "Current password"),
    "account.new": ("新密码", "New password"),
    "account.confirm": ("确认新密码", "Confirm new password"),
    "account.submit": ("修改密码", "Change password"),
    "account.changed": ("密码已修改", "Password changed"),
    "account.info": ("用户名：{username} · 角色：{role}", "Username: {username} · Role: {role}"),
    # home
    "home.title": ("首页", "Home"),
    "home.welcome": ("{name}，您好", "Hello, {name}"),
    "home.units_total": ("房屋总数", "Units"),
    "home.occupied": ("已入住", "Occupied"),
    "home.vacant": ("空置", "Vacant"),
    "home.renovating": ("装修中", "Under renovation"),
    "home.by_status": ("各小区房屋状态", "Units by estate and status"),
    "home.no_units": ("还没有房屋数据。系统管理员可在“系统管理”中添加小区和楼栋。",
                      "No units yet. An administrator can add estates and buildings under Administration."),
    # grid
    "grid.search": ("搜索", "Search"),
    "grid.search_help": ("输入要查找的内容，空格分隔多个词", "Words to look for, separated by spaces"),
    "grid.sort": ("排序", "Sort by"),
    "grid.desc": ("倒序", "Descending"),
    "grid.page_size": ("每页", "Rows per page"),
    "grid.page": ("页码", "Page"),
    "grid.total": ("共 {total} 条 · 第 {page}/{pages} 页", "{total} rows · page {page} of {pages}"),
    "grid.prev": ("上一页", "Previous"),
    "grid.next": ("下一页", "Next"),
    "grid.pending": ("{n} 行有未保存的修改", "{n} rows have unsaved changes"),
    "grid.save": ("保存修改", "Save changes"),
    "grid.discard": ("放弃修改", "Discard changes"),
    "grid.saved": ("已保存 {n} 行", "Saved {n} rows"),
    "grid.nothing": ("没有需要保存的修改", "Nothing to save"),
    "grid.refresh": ("刷新", "Refresh"),
    "grid.export": ("导出 Excel", "Export to Excel"),
    "grid.export_help": ("导出当前筛选条件下的全部记录", "Exports every row that matches the current filters"),
    "grid.row_errors": ("以下修改未保存，请更正后再保存（其他修改仍保留在表格中）：",
                        "Nothing was saved. Please correct these and save again (your other edits are kept):"),
    "grid.readonly": ("当前角色只能查看", "Read only for your role"),
    "grid.empty": ("没有符合条件的记录", "No matching rows"),
    "grid.all": ("全部", "All"),
    "grid.yes": ("是", "Yes"),
    "grid.no": ("否", "No"),
    # units
    "units.title": ("房屋档案", "Units"),
    "units.caption": ("搜索、筛选、直接在表格中修改（双击单元格），然后点“保存修改”。",
                      "Search, filter and edit in the grid (double-click a cell), then press Save changes."),
    "units.estate": ("小区", "Estate"),
    "units.building": ("楼栋", "Building"),
    "units.code": ("房号", "Unit code"),
    "units.unit_no": ("单元", "Entrance"),
    "units.room_no": ("房间", "Room"),
    "units.floor": ("楼层", "Floor"),
    "units.kind": ("类型", "Type"),
    "units.layout": ("户型", "Layout"),
    "units.built_area": ("建筑面积(㎡)", "Built area (m²)"),
    "units.inner_area": ("套内面积(㎡)", "Inner area (m²)"),
    "units.status": ("状态", "Status"),
    "units.delivered_on": ("交房日期", "Delivered on"),
    "units.owner": ("业主", "Owner"),
    "units.owner_mobile": ("业主电话", "Owner mobile"),
    "units.note": ("备注", "Note"),
    "units.search_help": ("房号（如 1-1-101）、房间号、业主姓名或备注，空格分隔多个词",
                          "Unit code (e.g. 1-1-101), room, owner name or note; several words narrow it down"),
    # admin
    "admin.title": ("系统管理", "Administration"),
    "admin.users": ("用户", "Users"),
    "admin.estates": ("小区", "Estates"),
    "admin.buildings": ("楼栋", "Buildings"),
    "admin.departments": ("部门", "Departments"),
    "admin.add_user": ("新增用户", "Add user"),
    "admin.add": ("新增", "Add"),
    "admin.reset": ("重置密码", "Reset password"),
    "admin.reset_user": ("要重置密码的用户", "User whose password to reset"),
    "admin.reset_done": ("已重置 {username} 的密码，临时密码：{password}（只显示这一次，下次登录须修改）",
                         "Password of {username} reset. Temporary password: {password} "
                         "(shown once; must be changed at next sign-in)"),
    "admin.user_added": ("已创建用户 {username}，初始密码：{password}（只显示这一次，首次登录须修改）",
                         "User {username} created. Initial password: {password} "
                         "(shown once; must be changed at first sign-in)"),
    "admin.created": ("已新增", "Added"),
    "admin.username": ("用户名", "Username"),
    "admin.display_name": ("姓名", "Name"),
    "admin.role": ("角色", "Role"),
    "admin.staff": ("员工", "Staff"),
    "admin.none": ("（无）", "(none)"),
    "admin.active": ("启用", "Active"),
    "admin.must_change": ("须改密码", "Must change password"),
    "admin.locked_until": ("锁定至", "Locked until"),
    "admin.last_login": ("最近登录", "Last sign-in"),
    "admin.code": ("编号", "Code"),
    "admin.name": ("名称", "Name"),
    "admin.address": ("地址", "Address"),
    "admin.floors": ("层数", "Floors"),
    "admin.estate": ("所属小区", "Estate"),
    "admin.search_users": ("用户名或姓名", "Username or name"),
    "admin.search_reference": ("编号或名称", "Code or name"),
    # audit
    "audit.title": ("操作日志", "Audit trail"),
    "audit.caption": ("每一次修改都记录在这里：谁、何时、改了什么。记录不可修改。",
                      "Every change is recorded here: who, when and what. Entries cannot be changed."),
    "audit.actor": ("操作人", "User"),
    "audit.actor_name": ("姓名", "Name"),
    "audit.at": ("时间", "Time"),
    "audit.action": ("操作", "Action"),
    "audit.entity": ("对象", "Entity"),
    "audit.entity_id": ("编号", "Id"),
    "audit.detail": ("内容", "Details"),
    "audit.search_help": ("按对象编号或修改内容搜索", "Search by id or by changed values"),
    "audit.date_from": ("开始日期", "From"),
    "audit.date_to": ("结束日期", "To"),
}


def lang() -> str:
    return st.session_state.get("lang", "zh")


def t(key: str, **kwargs) -> str:
    """The text of `key` in the current language."""
    zh, en = CATALOG[key]
    text = en if lang() == "en" else zh
    return text.format(**kwargs) if kwargs else text
