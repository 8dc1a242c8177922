"""The audit trail.

Invariants: every mutation adds its audit row in the same session, before the
one commit of its service, so a change and its record stand or fall together;
audit rows are never updated or deleted; values are stored as JSON text with
money and dates as strings, so they read back exactly.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from db.models import AuditEntry
from db.types import utcnow
from services.platform.actors import Actor

_BULK_CHUNK = 1000  # rows per INSERT: well under every backend's parameter limit

ACTION_LABELS = {
    "create": "新增",
    "update": "修改",
    "disable": "停用",
    "enable": "启用",
    "reset_password": "重置密码",
    "change_password": "修改密码",
    "login": "登录",
    "lock": "锁定账户",
    "restore": "恢复备份",
    "demo": "生成演示数据",
    "reveal": "查看完整信息",
    "move_in": "入伙",
    "move_out": "迁出",
    "note": "添加备注",
    "vip_add": "登记重点户",
    "vip_end": "取消重点户",
    "inspect": "空置房巡查",
    "key_add": "登记钥匙",
    "key_lend": "借出钥匙",
    "key_return": "归还钥匙",
    "key_lost": "钥匙遗失",
    "lease": "车位租赁",
    "lease_renew": "车位续租",
    "lease_end": "终止车位租赁",
    "renovation_apply": "装修申请",
    "renovation_approve": "批准装修",
    "renovation_refuse": "拒绝装修",
    "renovation_start": "装修开工",
    "renovation_inspect": "装修验收",
    "renovation_close": "装修关闭",
    "import": "导入",
    "dispatch": "派单",
    "accept": "接单",
    "complete": "完成",
    "revisit": "回访",
    "close": "关闭",
    "reopen": "重新处理",
    "cancel": "撤销",
    "rule": "投诉定性",
    "photo": "添加照片",
    "bill": "计费",
    "collect": "收款",
    "request": "提出申请",
    "approve": "批准",
    "refuse": "驳回",
    "settle": "日结",
    "refund_payout": "退款付款",
    "dun": "催缴",
    "build": "生成考核表",
    "submit": "提交",
    "return": "退回",
    "withdraw": "撤销记录",
    "reopen_scorecard": "重新打开考核表",
    # customer relations 客户关系
    "visit_plan": "编制访谈计划",
    "visit_reassign": "调整访谈分派",
    "visit_record": "登记访谈",
    "visit_withdraw": "撤销访谈",
    "activity_add": "登记社区活动",
    "activity_hold": "活动已举办",
    "activity_cancel": "取消活动",
    "bulletin_add": "登记宣传栏",
    "notice_draft": "起草公告",
    "notice_edit": "修改公告草稿",
    "notice_publish": "发布公告",
    "notice_withdraw": "撤回公告",
    "notice_archive": "归档公告",
    "lost_register": "登记拾遗物品",
    "lost_edit": "修改拾遗物品",
    "lost_claim": "认领物品",
    "lost_dispose": "处置物品",
    "lost_notice_post": "张贴招领启事",
    "to_ticket": "转工单",
    "notice": "发出整改通知书",
    "follow_up": "违章跟进",
    "hand_over": "交班",
    "confirm": "确认接班",
    "resolve": "办结事项",
}

ENTITY_LABELS = {
    "survey_questions": "满意度问卷",
    "survey_rounds": "调查轮次",
    "survey_responses": "满意度答卷",
    "visit_plans": "访谈计划",
    "owner_visits": "业主访谈",
    "community_activities": "社区活动",
    "bulletins": "宣传栏",
    "notices": "公告",
    "lost_items": "失物招领",
    "lost_notices": "招领启事",
    "paid_service_items": "特约服务价目",
    "paid_service_orders": "特约服务订单",
    "inspection_routes": "巡查路线",
    "inspection_items": "巡查检查项",
    "inspection_rounds": "巡查",
    "inspection_results": "巡查异常项",
    "violations": "违章",
    "duty_shifts": "值班记录",
    "duty_entries": "值班事项",
    "units": "房屋",
    "users": "用户",
    "estates": "小区",
    "buildings": "楼栋",
    "departments": "部门",
    "posts": "岗位",
    "staff": "员工",
    "people": "人员",
    "unit_people": "房屋人员",
    "database": "数据库",
    "vehicles": "车辆",
    "parking_spaces": "车位",
    "parking_leases": "车位租赁",
    "keys": "钥匙",
    "renovations": "装修",
    "vip_households": "重点户",
    "tickets": "工单",
    "holidays": "节假日",
    "sla_policies": "时限规定",
    "ticket_categories": "报事分类",
    "fee_items": "收费项目",
    "unit_fees": "房屋收费设置",
    "meter_readings": "抄表",
    "billing_runs": "计费",
    "bills": "应收账单",
    "payments": "收款收据",
    "refunds": "退款单",
    "approvals": "审批",
    "settlements": "日结",
    "dunning_actions": "催缴",
    "settings": "系统设置",
    "attendance": "考勤",
    "incidents": "奖惩记录",
    "incident_types": "奖惩项目",
    "post_kpis": "岗位考核指标",
    "appraisal_rules": "奖惩规则",
    "scorecards": "考核表",
}


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def _dump(values: dict[str, Any] | None) -> str | None:
    if values is None:
        return None
    return json.dumps(_jsonable(values), ensure_ascii=False, sort_keys=True)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Add one audit row to the caller's transaction (never commits)."""
    session.add(
        AuditEntry(
            at=utcnow(),
            actor_user_id=actor.user_id,
            actor_username=actor.username,
            action=action,
            entity=entity,
            entity_id=str(entity_id),
            before_json=_dump(before),
            after_json=_dump(after),
        )
    )


def record_many(
    session: Session,
    actor: Actor,
    action: str,
    rows: Iterable[tuple[str, object, dict[str, Any] | None, dict[str, Any] | None]],
) -> None:
    """Add many audit rows (entity, id, before, after) of one action in bulk, same format as `record`: an import
    of 20,000 units writes its rows without building 20,000 ORM objects."""
    at = utcnow()
    values = [{"at": at, "actor_user_id": actor.user_id, "actor_username": actor.username, "action": action,
               "entity": entity, "entity_id": str(entity_id), "before_json": _dump(before), "after_json": _dump(after)}
              for entity, entity_id, before, after in rows]
    for n in range(0, len(values), _BULK_CHUNK):
        session.execute(insert(AuditEntry), values[n:n + _BULK_CHUNK])


def snapshot(obj: object, fields: list[str] | tuple[str, ...]) -> dict[str, Any]:
    return {f: getattr(obj, f) for f in fields}
