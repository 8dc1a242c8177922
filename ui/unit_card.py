"""The search box and the unit card (房屋卡片), with the front-desk workflows as dialogs.

Later issues add their own section to the card (the unit's tickets, the unit's bills)
with `register_card_section`; the card shows only sections that exist, never an empty tab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from services import households, keys, parking, renovation
from services.auth import Actor, can
from services.clock import SHANGHAI, local_today
from services.errors import DomainError
from services.households import MOVE_IN_DOCUMENTS, VIP_CATEGORIES, MoveIn, UnitCard
from services.people import reveal, search
from services.units import PERSON_ROLES
from ui import fmt
from ui.session import flash

SELECTED = "owners:unit_id"


@dataclass(frozen=True)
class CardSection:
    label: str
    render: Callable[[Actor, UnitCard], None]
    action: str = "units.view"


_EXTRA_SECTIONS: list[CardSection] = []


def register_card_section(section: CardSection) -> None:
    """Add a section (e.g. 工单, 账单) to every unit card; shown to roles holding `section.action`."""
    if all(s.label != section.label for s in _EXTRA_SECTIONS):
        _EXTRA_SECTIONS.append(section)


def _done(message: str) -> None:
    flash(message)
    st.rerun()


def _attempt(fn: Callable[[], object], success: str) -> None:
    try:
        fn()
    except DomainError as exc:
        st.error(exc.message)
    else:
        _done(success)


# --- search ---------------------------------------------------------------------------------------


def search_box(actor: Actor) -> None:
    text = st.text_input(
        "查找房屋或人员", key="owners:search", live=True, max_chars=40,
        placeholder="房号 1-1-101 或 11101、姓名、拼音首字母 zw、手机号或尾号 8000、身份证号",
    )
    if not text.strip():
        return
    hits = search(actor=actor, text=text)
    if not hits:
        st.caption("没有找到。可以试试房号、姓名、拼音首字母或手机尾号。")
        return
    st.caption(f"找到 {len(hits)} 户（按{hits[0].matched}）")
    box = st.container(height=min(60 + 48 * len(hits), 300), border=False)
    for hit in hits:
        label = f"{hit.estate} · **{hit.code}** · {hit.status}" + (f" · {hit.person}" if hit.person else "")
        if box.button(label, key=f"owners:hit:{hit.unit_id}", width="stretch"):
            st.session_state[SELECTED] = hit.unit_id
            st.rerun()


# --- the card --------------------------------------------------------------------------------------


def _table(df: pd.DataFrame, columns: dict[str, str], *, money: tuple[str, ...] = ()) -> None:
    if df.empty:
        st.caption("无")
        return
    shown = df[list(columns)].copy()
    for col in money:
        shown[col] = [fmt.money(v) for v in shown[col]]
    shown.columns = list(columns.values())
    st.dataframe(shown, hide_index=True, width="stretch")


def render_card(actor: Actor, card: UnitCard) -> None:
    badges = [f":blue-badge[{card.status}]"]
    if card.renovating:
        badges.append(":orange-badge[装修中]")
    badges += [f":red-badge[重点户·{v['category']}]" for v in card.vip]
    st.subheader(f"{card.estate} {card.code}")
    st.markdown(" ".join(badges))
    c = st.columns(5)
    c[0].metric("类型", f"{card.kind} {card.layout}".strip())
    c[1].metric("建筑面积", f"{card.built_area} ㎡" if card.built_area is not None else "—")
    c[2].metric("套内面积", f"{card.inner_area} ㎡" if card.inner_area is not None else "—")
    c[3].metric("交房日期", fmt.day(card.delivered_on) or "—")
    c[4].metric("空置起始", fmt.day(card.vacant_since) or "—")
    for v in card.vip:
        st.warning(f"重点户（{v['category']}）：{v['reason']}" + (f"。关怀要点：{v['care_notes']}" if v["care_notes"] else ""))
    _workflow_buttons(actor, card)

    sections = [("住户", _residents), ("车辆与车位", _vehicles_parking), ("钥匙", _keys),
                ("装修", _renovations), ("动态", _timeline)]
    extra = [s for s in _EXTRA_SECTIONS if can(actor, s.action)]
    tabs = st.tabs([label for label, _ in sections] + [s.label for s in extra])
    for tab, (_, render) in zip(tabs, sections, strict=False):
        with tab:
            render(actor, card)
    for tab, section in zip(tabs[len(sections):], extra, strict=True):
        with tab:
            section.render(actor, card)


def _residents(actor: Actor, card: UnitCard) -> None:
    _table(card.residents, {"name": "姓名", "role": "身份", "gender": "性别", "mobile": "手机号",
                            "phone": "固定电话", "id_number": "身份证号", "start_on": "入住日期"})
    if can(actor, "people.reveal") and not card.residents.empty:
        with st.expander("查看完整手机号或身份证号（将记录在操作日志中）"):
            options = {int(r.person_id): r.name for r in card.residents.itertuples()}
            who = st.selectbox("人员", list(options), format_func=options.get, key=f"reveal:who:{card.id}")
            field = st.radio("内容", ["mobile", "id_number"], horizontal=True, key=f"reveal:f:{card.id}",
                             format_func={"mobile": "手机号", "id_number": "身份证号"}.get)
            if st.button("查看", key=f"reveal:go:{card.id}"):
                try:
                    st.code(reveal(actor=actor, person_id=who, field=field) or "（未登记）", language=None)
                except DomainError as exc:
                    st.error(exc.message)
    if not card.history.empty:
        st.caption("历史住户")
        _table(card.history, {"name": "姓名", "role": "身份", "start_on": "入住日期", "end_on": "迁出日期"})


def _vehicles_parking(actor: Actor, card: UnitCard) -> None:
    _table(card.vehicles, {"plate": "车牌号", "owner": "车主", "note": "备注"})
    _table(card.parking, {"space": "车位", "kind": "类型", "person": "承租人", "plate": "车牌",
                          "start_on": "开始", "end_on": "结束", "monthly_fee": "月租金", "status": "状态"},
           money=("monthly_fee",))


def _keys(actor: Actor, card: UnitCard) -> None:
    _table(card.keys, {"label": "钥匙", "location": "存放位置", "status": "状态", "borrower": "借用人"})


def _renovations(actor: Actor, card: UnitCard) -> None:
    _table(card.renovations, {"status": "状态", "applicant": "申请人", "contractor": "施工单位",
                              "applied_on": "申请日期", "planned_end_on": "计划完工", "deposit": "押金",
                              "violations": "违规"}, money=("deposit",))


def _timeline(actor: Actor, card: UnitCard) -> None:
    if card.timeline.empty:
        st.caption("暂无动态")
    for row in card.timeline.itertuples():
        st.markdown(f"**{fmt.moment(row.at)}** · {row.kind} · {row.author}")
        st.text(row.text)
    if can(actor, "units.edit"):
        with st.form(f"note:{card.id}", clear_on_submit=True):
            text = st.text_area("添加备注", max_chars=1000)
            if st.form_submit_button("保存备注"):
                _attempt(lambda: households.add_note(actor=actor, unit_id=card.id, text=text), "备注已保存")


# --- workflows -------------------------------------------------------------------------------------


def _workflow_buttons(actor: Actor, card: UnitCard) -> None:
    buttons: list[tuple[str, str, Callable]] = []
    if can(actor, "residency.manage"):
        buttons.append(("入伙", "residency.manage", _move_in_dialog))
        if not card.residents.empty:
            buttons.append(("迁出", "residency.manage", _move_out_dialog))
    if can(actor, "keys.manage"):
        buttons.append(("钥匙", "keys.manage", _keys_dialog))
    if can(actor, "renovation.manage"):
        buttons.append(("装修", "renovation.manage", _renovation_dialog))
    if can(actor, "parking.manage"):
        buttons.append(("车辆车位", "parking.manage", _parking_dialog))
    if can(actor, "vip.manage"):
        buttons.append(("重点户", "vip.manage", _vip_dialog))
    if can(actor, "vacancy.inspect") and card.status in households.VACANT_STATUSES:
        buttons.append(("空置巡查", "vacancy.inspect", _inspect_dialog))
    if not buttons:
        return
    cols = st.columns(len(buttons))
    for col, (label, _, dialog) in zip(cols, buttons, strict=True):
        if col.button(label, key=f"wf:{label}:{card.id}", width="stretch"):
            dialog(actor, card)


@st.dialog("入伙", width="large")
def _move_in_dialog(actor: Actor, card: UnitCard) -> None:
    st.caption(f"{card.estate} {card.code} · 当前状态 {card.status}")
    with st.form("move_in"):
        c1, c2, c3 = st.columns(3)
        name = c1.text_input("姓名 *", max_chars=64)
        gender = c2.selectbox("性别", ["男", "女"])
        role = c3.selectbox("身份 *", PERSON_ROLES)
        c1, c2, c3 = st.columns(3)
        mobile = c1.text_input("手机号", max_chars=20)
        phone = c2.text_input("固定电话", max_chars=20)
        id_number = c3.text_input("身份证号", max_chars=18)
        move_in_on = st.date_input("入伙日期 *", value=local_today(), format="YYYY-MM-DD")
        documents = st.multiselect("已核验资料", MOVE_IN_DOCUMENTS, default=list(MOVE_IN_DOCUMENTS[:2]),
                                   placeholder="选择已核验的资料")
        in_cabinet = card.keys[card.keys.status == "在库"] if not card.keys.empty else card.keys
        key_options = {int(k.id): k.label for k in in_cabinet.itertuples()} if not in_cabinet.empty else {}
        key_ids = st.multiselect("交付钥匙", list(key_options), format_func=key_options.get,
                                 placeholder="选择交付的钥匙" if key_options else "服务中心没有该房屋的在库钥匙")
        note = st.text_input("备注", max_chars=500)
        if st.form_submit_button("确认入伙", type="primary"):
            request = MoveIn(unit_id=card.id, unit_version=card.version,
                             person={"name": name, "gender": gender, "mobile": mobile, "phone": phone,
                                     "id_number": id_number},
                             role=role, move_in_on=move_in_on, documents=documents, key_ids=key_ids, note=note)
            _attempt(lambda: households.move_in(actor=actor, request=request), f"{name} 已办理入伙")


@st.dialog("迁出")
def _move_out_dialog(actor: Actor, card: UnitCard) -> None:
    options = {int(r.link_id): f"{r.name}（{r.role}）" for r in card.residents.itertuples()}
    with st.form("move_out"):
        links = st.multiselect("迁出人员 *", list(options), format_func=options.get, placeholder="选择迁出的人员")
        move_out_on = st.date_input("迁出日期 *", value=local_today(), format="YYYY-MM-DD")
        new_status = st.selectbox("无人在住时房屋状态", ["空置", "已交房未入住"])
        note = st.text_input("备注", max_chars=500)
        if st.form_submit_button("确认迁出", type="primary"):
            _attempt(lambda: households.move_out(actor=actor, unit_id=card.id, unit_version=card.version,
                                                 link_ids=links, move_out_on=move_out_on, new_status=new_status,
                                                 note=note), "已办理迁出")


@st.dialog("钥匙", width="large")
def _keys_dialog(actor: Actor, card: UnitCard) -> None:
    if not card.keys.empty:
        options = {int(k.id): f"{k.label}（{k.status}{'，' + k.borrower if k.borrower else ''}）"
                   for k in card.keys.itertuples()}
        versions = {int(k.id): int(k.version) for k in card.keys.itertuples()}
        key_id = st.selectbox("钥匙", list(options), format_func=options.get)
        status = card.keys.set_index("id").loc[key_id, "status"]
        if status == "在库":
            with st.form("lend"):
                borrower = st.text_input("借用人 *", max_chars=64)
                phone = st.text_input("联系电话", max_chars=20)
                reason = st.text_input("借用事由 *", max_chars=200)
                due_day = st.date_input("应还日期", value=local_today(), format="YYYY-MM-DD")
                due_time = st.time_input("应还时间", value=time(18, 0))
                if st.form_submit_button("借出", type="primary"):
                    due_at = datetime.combine(due_day, due_time, SHANGHAI)
                    _attempt(lambda: keys.lend_key(actor=actor, key_id=key_id, version=versions[key_id],
                                                   borrower=borrower, borrower_phone=phone, reason=reason,
                                                   due_at=due_at), "钥匙已借出")
        elif status == "借出" and st.button("登记归还", type="primary"):
            _attempt(lambda: keys.return_key(actor=actor, key_id=key_id, version=versions[key_id]), "钥匙已归还")
        if status in ("在库", "借出") and st.button("报告遗失"):
            _attempt(lambda: keys.report_lost(actor=actor, key_id=key_id, version=versions[key_id]), "已登记遗失")
    st.divider()
    with st.form("add_key", clear_on_submit=True):
        c1, c2 = st.columns(2)
        label = c1.text_input("新钥匙名称 *", max_chars=32, placeholder="如 入户门 1号")
        location = c2.text_input("存放位置", max_chars=32, placeholder="如 钥匙柜 A-12")
        if st.form_submit_button("登记钥匙"):
            _attempt(lambda: keys.add_key(actor=actor, unit_id=card.id, label=label, location=location),
                     "钥匙已登记")


@st.dialog("装修", width="large")
def _renovation_dialog(actor: Actor, card: UnitCard) -> None:
    current = card.renovations[~card.renovations.status.isin(["已关闭", "已拒绝"])] \
        if not card.renovations.empty else card.renovations
    if current.empty:
        with st.form("renovation_apply"):
            c1, c2 = st.columns(2)
            applicant = c1.text_input("申请人 *", max_chars=64)
            contractor = c2.text_input("施工单位 *", max_chars=100)
            c1, c2 = st.columns(2)
            contractor_phone = c1.text_input("施工方电话 *", max_chars=20)
            deposit = c2.text_input("装修押金（元）", value="2000.00", max_chars=12)
            scope = st.text_area("装修内容 *", max_chars=500)
            c1, c2 = st.columns(2)
            start_on = c1.date_input("计划开工", value=local_today(), format="YYYY-MM-DD")
            end_on = c2.date_input("计划完工", value=local_today() + timedelta(days=60), format="YYYY-MM-DD")
            if st.form_submit_button("提交申请", type="primary"):
                app = renovation.Application(
                    unit_id=card.id, applicant=applicant, contractor=contractor, contractor_phone=contractor_phone,
                    scope=scope, planned_start_on=start_on, planned_end_on=end_on, deposit=deposit,
                    applied_on=local_today())
                _attempt(lambda: renovation.apply(actor=actor, application=app), "装修申请已登记")
        return
    r = current.iloc[0]
    rid, version, status = int(r.id), int(r.version), r.status
    st.info(f"当前装修：{status} · {r.contractor} · 押金 {fmt.money(r.deposit)}")
    if status == "申请中":
        if not can(actor, "renovation.approve"):
            st.caption("等待客服主管审批")
            return
        reason = st.text_input("拒绝原因（拒绝时必填）", max_chars=200)
        c1, c2 = st.columns(2)
        if c1.button("批准", type="primary"):
            _attempt(lambda: renovation.decide(actor=actor, renovation_id=rid, version=version, approve=True),
                     "已批准")
        if c2.button("拒绝"):
            _attempt(lambda: renovation.decide(actor=actor, renovation_id=rid, version=version, approve=False,
                                               reason=reason), "已拒绝")
    elif status == "已批准":
        started = st.date_input("开工日期", value=local_today(), format="YYYY-MM-DD")
        received = st.date_input("押金收取日期", value=local_today(), format="YYYY-MM-DD")
        if st.button("登记开工", type="primary"):
            _attempt(lambda: renovation.start(actor=actor, renovation_id=rid, version=version, started_on=started,
                                              deposit_received_on=received), "已开工，房屋显示为装修中")
    elif status == "施工中":
        inspected = st.date_input("验收日期", value=local_today(), format="YYYY-MM-DD")
        violations = st.text_area("违规情况（无则留空）", max_chars=500)
        if st.button("登记验收", type="primary"):
            _attempt(lambda: renovation.inspect(actor=actor, renovation_id=rid, version=version,
                                                inspected_on=inspected, violations=violations), "已验收")
    elif status == "已验收":
        refund = st.text_input("退还押金（元）", value=fmt.plain_hundredths(r.deposit), max_chars=12)
        refunded_on = st.date_input("退还日期", value=local_today(), format="YYYY-MM-DD")
        if st.button("关闭装修", type="primary"):
            _attempt(lambda: renovation.close(actor=actor, renovation_id=rid, version=version, refund=refund,
                                              refunded_on=refunded_on), "装修已关闭")


@st.dialog("车辆与车位", width="large")
def _parking_dialog(actor: Actor, card: UnitCard) -> None:
    people = parking.unit_people_options(actor=actor, unit_id=card.id)
    if not people:
        st.info("该房屋暂无在住人员，请先办理入伙。")
        return
    names = dict(people)
    with st.form("vehicle", clear_on_submit=True):
        c1, c2 = st.columns(2)
        person_id = c1.selectbox("车主", list(names), format_func=names.get)
        plate = c2.text_input("车牌号 *", max_chars=10, placeholder="粤A12345")
        if st.form_submit_button("登记车辆"):
            _attempt(lambda: parking.add_vehicle(actor=actor, unit_id=card.id, person_id=person_id, plate=plate),
                     "车辆已登记")
    active = card.parking[card.parking.status == "有效"] if not card.parking.empty else card.parking
    if not active.empty:
        lease = active.iloc[0]
        st.caption(f"有效租赁：车位 {lease.space}，至 {lease.end_on}")
        with st.form("renew"):
            new_end = st.date_input("续租至", value=lease.end_on + timedelta(days=365), format="YYYY-MM-DD")
            fee = st.text_input("月租金（元）", value=fmt.plain_hundredths(lease.monthly_fee))
            if st.form_submit_button("续租", type="primary"):
                _attempt(lambda: parking.renew_lease(actor=actor, lease_id=int(lease.id), version=int(lease.version),
                                                     new_end_on=new_end, monthly_fee=fee), "已续租")
    spaces = parking.free_spaces(actor=actor, estate_id=card.estate_id)
    if spaces:
        with st.form("lease"):
            space_options = {s[0]: s[2] for s in spaces}
            versions = {s[0]: s[1] for s in spaces}
            c1, c2 = st.columns(2)
            space_id = c1.selectbox("空闲车位", list(space_options), format_func=space_options.get)
            person_id = c2.selectbox("承租人", list(names), format_func=names.get)
            c1, c2, c3, c4 = st.columns(4)
            plate = c1.text_input("车牌号", max_chars=10)
            start = c2.date_input("开始", value=local_today(), format="YYYY-MM-DD")
            end = c3.date_input("结束", value=local_today() + timedelta(days=364), format="YYYY-MM-DD")
            fee = c4.text_input("月租金（元）", value="300.00")
            if st.form_submit_button("办理租赁", type="primary"):
                _attempt(lambda: parking.lease_space(actor=actor, space_id=space_id, space_version=versions[space_id],
                                                     person_id=person_id, unit_id=card.id, plate=plate,
                                                     start_on=start, end_on=end, monthly_fee=fee), "车位已出租")


@st.dialog("重点户")
def _vip_dialog(actor: Actor, card: UnitCard) -> None:
    for v in card.vip:
        c1, c2 = st.columns([4, 1])
        c1.write(f"{v['category']}：{v['reason']}")
        if c2.button("取消", key=f"vip:end:{v['id']}"):
            _attempt(lambda v=v: households.end_vip(actor=actor, vip_id=v["id"], version=v["version"]),
                     "已取消重点户")
    with st.form("vip"):
        category = st.selectbox("类别", VIP_CATEGORIES)
        reason = st.text_input("原因 *", max_chars=200)
        care = st.text_area("关怀要点", max_chars=500)
        if st.form_submit_button("登记重点户", type="primary"):
            _attempt(lambda: households.add_vip(actor=actor, unit_id=card.id, category=category, reason=reason,
                                                care_notes=care), "已登记重点户")


@st.dialog("空置房巡查")
def _inspect_dialog(actor: Actor, card: UnitCard) -> None:
    with st.form("inspect"):
        day = st.date_input("巡查日期", value=local_today(), format="YYYY-MM-DD")
        finding = st.text_input("巡查情况", max_chars=200, placeholder="如 门窗完好，无渗漏")
        if st.form_submit_button("登记巡查", type="primary"):
            _attempt(lambda: households.record_inspection(actor=actor, unit_id=card.id, inspected_on=day,
                                                          finding=finding), "巡查已登记")
