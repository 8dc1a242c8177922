"""The search box and the unit card (房屋卡片), with the front-desk workflows as dialogs.

Later issues add their own section to the card (the unit's tickets, the unit's bills)
with `register_card_section`; the card shows only sections that exist, never an empty tab.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial

import pandas as pd
import streamlit as st

from services.estate import households, keys, parking, renovation
from services.estate.households import MOVE_IN_DOCUMENTS, VIP_CATEGORIES, MoveIn, UnitCard
from services.estate.people import PERSON_TABLE, reveal, search
from services.estate.statuses import LeaseStatus, UnitStatus
from services.estate.units import PERSON_ROLES
from services.platform.auth import Actor, can
from services.platform.clock import SHANGHAI, local_today
from services.platform.errors import DomainError
from ui.kit import fmt
from ui.kit.i18n import CATALOG, t
from ui.kit.session import attempt
from ui.kit.tabs import lazy_tabs

SELECTED = "owners:unit_id"


@dataclass(frozen=True)
class CardSection:
    label: str  # a catalog key (shown in the current language) or plain text
    render: Callable[[Actor, UnitCard], None]
    action: str = "units.view"


_EXTRA_SECTIONS: list[CardSection] = []


def register_card_section(section: CardSection) -> None:
    """Add a section (e.g. 工单, 账单) to every unit card; shown to roles holding `section.action`."""
    if all(s.label != section.label for s in _EXTRA_SECTIONS):
        _EXTRA_SECTIONS.append(section)




# --- search ---------------------------------------------------------------------------------------


def search_box(actor: Actor, *, on_pick: Callable[[], None] | None = None,
               more: Callable[[str], Callable[[], None] | None] | None = None) -> None:
    """The one search box: units and people. A page may add hits of its own below the units (`more(text)` returns
    what draws them, or None when it found nothing) and learn when a unit is picked (`on_pick`)."""
    text = st.text_input(
        t("card.search"), key="owners:search", live=True, max_chars=40,
        placeholder=t("card.search_placeholder"),
    )
    if not text.strip():
        return
    hits = search(actor=actor, text=text)
    draw_more = more(text) if more is not None else None
    if not hits and draw_more is None:
        st.caption(t("card.not_found"))
        return
    if hits:
        matched = hits[0].matched
        st.caption(t("card.found", n=len(hits), by=_matched_words().get(matched, matched)))
        box = st.container(height=min(60 + 48 * len(hits), 300), border=False)
        for hit in hits:
            label = f"{hit.estate} · **{hit.code}** · {hit.status}" + (f" · {hit.person}" if hit.person else "")
            if box.button(label, key=f"owners:hit:{hit.unit_id}", width="stretch"):
                st.session_state[SELECTED] = hit.unit_id
                if on_pick is not None:
                    on_pick()
                st.rerun()
    if draw_more is not None:
        draw_more()


def _matched_words() -> dict[str, str]:
    """`SearchHit.matched` (the service's Chinese word for what matched) in the current language;
    a word not listed here is shown as the service wrote it."""
    return {"房号": t("card.by_code"), "手机号": t("card.by_mobile"), "手机尾号或房号": t("card.by_tail_or_code"),
            "身份证号": t("card.by_id_number"), "拼音首字母": t("card.by_pinyin"), "姓名": t("card.by_name")}


# --- the card --------------------------------------------------------------------------------------


def _table(df: pd.DataFrame, columns: dict[str, str], *, money: tuple[str, ...] = ()) -> None:
    if df.empty:
        st.caption(t("card.none"))
        return
    shown = df[list(columns)].copy()
    for col in money:
        shown[col] = [fmt.money(v) for v in shown[col]]
    shown.columns = list(columns.values())
    st.dataframe(shown, hide_index=True, width="stretch")


def render_card(actor: Actor, card: UnitCard) -> None:
    badges = [f":blue-badge[{card.status}]"]
    if card.renovating:
        badges.append(f":orange-badge[{t('card.badge_renovating')}]")
    badges += [f":red-badge[{t('card.badge_vip', category=v['category'])}]" for v in card.vip]
    st.subheader(f"{card.estate} {card.code}")
    st.markdown(" ".join(badges))
    c = st.columns(5)
    c[0].metric(t("card.kind"), f"{card.kind} {card.layout}".strip())
    c[1].metric(t("card.built_area"), f"{card.built_area} ㎡" if card.built_area is not None else "—")
    c[2].metric(t("card.inner_area"), f"{card.inner_area} ㎡" if card.inner_area is not None else "—")
    c[3].metric(t("card.delivered_on"), fmt.day(card.delivered_on) or "—")
    c[4].metric(t("card.vacant_since"), fmt.day(card.vacant_since) or "—")
    for v in card.vip:
        st.warning(t("card.vip_warning_care", category=v["category"], reason=v["reason"], notes=v["care_notes"])
                   if v["care_notes"] else t("card.vip_warning", category=v["category"], reason=v["reason"]))
    _workflow_buttons(actor, card)

    sections = [(t("card.tab_residents"), _residents), (t("card.tab_vehicles"), _vehicles_parking),
                (t("card.tab_keys"), _keys), (t("card.tab_renovations"), _renovations),
                (t("card.tab_timeline"), _timeline)]
    extra = [s for s in _EXTRA_SECTIONS if can(actor, s.action)]
    extra_labels = [t(s.label) if s.label in CATALOG else s.label for s in extra]
    lazy_tabs("card:tab", [(label, partial(render, actor, card)) for label, render in sections]
              + [(label, partial(section.render, actor, card))
                 for label, section in zip(extra_labels, extra, strict=True)])


def _residents(actor: Actor, card: UnitCard) -> None:
    _table(card.residents, {"name": t("card.name"), "role": t("card.role"), "gender": t("card.gender"),
                            "mobile": t("card.mobile"), "phone": t("card.phone"),
                            "id_number": t("card.id_number"), "start_on": t("card.moved_in_on")})
    if can(actor, "people.reveal") and not card.residents.empty:
        with st.expander(t("card.reveal")):
            options = {int(r.person_id): r.name for r in card.residents.itertuples()}
            who = st.selectbox(t("card.reveal_person"), list(options), format_func=options.get,
                               key=f"reveal:who:{card.id}")
            field = st.radio(t("card.reveal_field"), ["mobile", "id_number"], horizontal=True,
                             key=f"reveal:f:{card.id}",
                             format_func={"mobile": t("card.mobile"), "id_number": t("card.id_number")}.get)
            if st.button(t("card.reveal_go"), key=f"reveal:go:{card.id}"):
                try:
                    st.code(reveal(actor=actor, person_id=who, field=field) or t("card.not_recorded"),
                            language=None)
                except DomainError as exc:
                    st.error(exc.message)
    if not card.history.empty:
        st.caption(t("card.history"))
        _table(card.history, {"name": t("card.name"), "role": t("card.role"), "start_on": t("card.moved_in_on"),
                              "end_on": t("card.moved_out_on")})


def _vehicles_parking(_actor: Actor, card: UnitCard) -> None:
    _table(card.vehicles, {"plate": t("card.plate_number"), "owner": t("card.vehicle_owner"),
                           "note": t("card.note")})
    _table(card.parking, {"space": t("card.space"), "kind": t("card.kind"), "person": t("card.tenant"),
                          "plate": t("card.plate"), "start_on": t("card.lease_start"),
                          "end_on": t("card.lease_end"), "monthly_fee": t("card.monthly_fee"),
                          "status": t("card.status")},
           money=("monthly_fee",))


def _keys(_actor: Actor, card: UnitCard) -> None:
    _table(card.keys, {"label": t("card.key"), "location": t("card.location"), "status": t("card.status"),
                       "borrower": t("card.borrower")})


def _renovations(_actor: Actor, card: UnitCard) -> None:
    _table(card.renovations, {"status": t("card.status"), "applicant": t("card.applicant"),
                              "contractor": t("card.contractor"), "applied_on": t("card.applied_on"),
                              "planned_end_on": t("card.planned_end"), "deposit": t("card.deposit"),
                              "violations": t("card.violations")}, money=("deposit",))


def _timeline(actor: Actor, card: UnitCard) -> None:
    if card.timeline.empty:
        st.caption(t("card.no_activity"))
    for row in card.timeline.itertuples():
        st.markdown(f"**{fmt.moment(row.at)}** · {row.kind} · {row.author}")
        st.text(row.text)
    if can(actor, "units.edit"):
        with st.form(f"note:{card.id}", clear_on_submit=True):
            text = st.text_area(t("card.add_note"), max_chars=1000)
            if st.form_submit_button(t("card.save_note")):
                attempt(lambda: households.add_note(actor=actor, unit_id=card.id, text=text),
                         t("card.note_saved"))


# --- workflows -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Workflow:
    name: str  # stable, for the button's widget key
    label: str  # the button, in the current language
    title: str  # the dialog's title, in the current language
    body: Callable[[Actor, UnitCard], None]
    width: str = "small"


def _workflow_buttons(actor: Actor, card: UnitCard) -> None:
    # Labels and dialog titles are looked up on every run, so they follow the language switch;
    # st.dialog is applied when the button is clicked, never at import time.
    flows: list[_Workflow] = []
    if can(actor, "residency.manage"):
        flows.append(_Workflow("move_in", t("card.move_in"), t("card.move_in"), _move_in_dialog, "large"))
        if not card.residents.empty:
            flows.append(_Workflow("move_out", t("card.move_out"), t("card.move_out"), _move_out_dialog))
    if can(actor, "keys.manage"):
        flows.append(_Workflow("keys", t("card.keys"), t("card.keys"), _keys_dialog, "large"))
    if can(actor, "renovation.manage"):
        flows.append(_Workflow("renovation", t("card.renovation"), t("card.renovation"), _renovation_dialog,
                               "large"))
    if can(actor, "parking.manage"):
        flows.append(_Workflow("parking", t("card.parking"), t("card.parking_title"), _parking_dialog, "large"))
    if can(actor, "vip.manage"):
        flows.append(_Workflow("vip", t("card.vip"), t("card.vip"), _vip_dialog))
    if can(actor, "vacancy.inspect") and card.status in households.VACANT_STATUSES:
        flows.append(_Workflow("inspect", t("card.inspect"), t("card.inspect_title"), _inspect_dialog))
    if not flows:
        return
    cols = st.columns(len(flows))
    for col, flow in zip(cols, flows, strict=True):
        if col.button(flow.label, key=f"wf:{flow.name}:{card.id}", width="stretch"):
            st.dialog(flow.title, width=flow.width)(flow.body)(actor, card)


def _move_in_dialog(actor: Actor, card: UnitCard) -> None:
    st.caption(t("card.move_in_caption", estate=card.estate, code=card.code, status=card.status))
    with st.form("move_in"):
        c1, c2, c3 = st.columns(3)
        person = PERSON_TABLE.field
        name = c1.text_input(t("card.name_required"), max_chars=person("name").max_len)
        gender = c2.selectbox(t("card.gender"), person("gender").options)
        role = c3.selectbox(t("card.role_required"), PERSON_ROLES)
        c1, c2, c3 = st.columns(3)
        mobile = c1.text_input(t("card.mobile"), max_chars=person("mobile").max_len)
        phone = c2.text_input(t("card.phone"), max_chars=person("phone").max_len)
        id_number = c3.text_input(t("card.id_number"), max_chars=person("id_number").max_len)
        move_in_on = st.date_input(t("card.move_in_on"), value=local_today(), format="YYYY-MM-DD")
        documents = st.multiselect(t("card.documents"), MOVE_IN_DOCUMENTS, default=list(MOVE_IN_DOCUMENTS[:2]),
                                   placeholder=t("card.documents_placeholder"))
        in_cabinet = card.keys[card.keys.status == "在库"] if not card.keys.empty else card.keys
        key_options = {int(k.id): k.label for k in in_cabinet.itertuples()} if not in_cabinet.empty else {}
        key_ids = st.multiselect(t("card.handover_keys"), list(key_options), format_func=key_options.get,
                                 placeholder=t("card.handover_keys_placeholder") if key_options
                                 else t("card.no_keys_in_cabinet"))
        note = st.text_input(t("card.note"), max_chars=500)
        if st.form_submit_button(t("card.confirm_move_in"), type="primary"):
            request = MoveIn(unit_id=card.id, unit_version=card.version,
                             person={"name": name, "gender": gender, "mobile": mobile, "phone": phone,
                                     "id_number": id_number},
                             role=role, move_in_on=move_in_on, documents=documents, key_ids=key_ids, note=note)
            attempt(lambda: households.move_in(actor=actor, request=request),
                     t("card.moved_in", name=name))


def _move_out_dialog(actor: Actor, card: UnitCard) -> None:
    options = {int(r.link_id): t("card.person_option", name=r.name, role=r.role)
               for r in card.residents.itertuples()}
    with st.form("move_out"):
        links = st.multiselect(t("card.leavers"), list(options), format_func=options.get,
                               placeholder=t("card.leavers_placeholder"))
        move_out_on = st.date_input(t("card.move_out_on"), value=local_today(), format="YYYY-MM-DD")
        new_status = st.selectbox(t("card.status_when_empty"), [UnitStatus.VACANT, UnitStatus.HANDED_OVER])
        note = st.text_input(t("card.note"), max_chars=500)
        if st.form_submit_button(t("card.confirm_move_out"), type="primary"):
            attempt(lambda: households.move_out(actor=actor, unit_id=card.id, unit_version=card.version,
                                                 link_ids=links, move_out_on=move_out_on, new_status=new_status,
                                                 note=note), t("card.moved_out"))


def _keys_dialog(actor: Actor, card: UnitCard) -> None:
    if not card.keys.empty:
        options = {int(k.id): t("card.key_option_lent", label=k.label, status=k.status, borrower=k.borrower)
                   if k.borrower else t("card.key_option", label=k.label, status=k.status)
                   for k in card.keys.itertuples()}
        versions = {int(k.id): int(k.version) for k in card.keys.itertuples()}
        key_id = st.selectbox(t("card.key"), list(options), format_func=options.get)
        status = card.keys.set_index("id").loc[key_id, "status"]
        if status == "在库":
            with st.form("lend"):
                borrower = st.text_input(t("card.borrower_required"), max_chars=64)
                phone = st.text_input(t("card.contact_phone"), max_chars=20)
                reason = st.text_input(t("card.lend_reason"), max_chars=200)
                due_day = st.date_input(t("card.due_day"), value=local_today(), format="YYYY-MM-DD")
                due_time = st.time_input(t("card.due_time"), value=time(18, 0))
                if st.form_submit_button(t("card.lend"), type="primary"):
                    due_at = datetime.combine(due_day, due_time, SHANGHAI)
                    attempt(lambda: keys.lend_key(actor=actor, key_id=key_id, version=versions[key_id],
                                                   borrower=borrower, borrower_phone=phone, reason=reason,
                                                   due_at=due_at), t("card.key_lent"))
        elif status == "借出" and st.button(t("card.return_key"), type="primary"):
            attempt(lambda: keys.return_key(actor=actor, key_id=key_id, version=versions[key_id]),
                     t("card.key_returned"))
        if status in ("在库", "借出") and st.button(t("card.report_lost")):
            attempt(lambda: keys.report_lost(actor=actor, key_id=key_id, version=versions[key_id]),
                     t("card.key_lost"))
    st.divider()
    with st.form("add_key", clear_on_submit=True):
        c1, c2 = st.columns(2)
        label = c1.text_input(t("card.new_key_label"), max_chars=32, placeholder=t("card.new_key_placeholder"))
        location = c2.text_input(t("card.location"), max_chars=32, placeholder=t("card.location_placeholder"))
        if st.form_submit_button(t("card.add_key")):
            attempt(lambda: keys.add_key(actor=actor, unit_id=card.id, label=label, location=location),
                     t("card.key_added"))


def _renovation_dialog(actor: Actor, card: UnitCard) -> None:
    current = card.renovations[~card.renovations.status.isin(["已关闭", "已拒绝"])] \
        if not card.renovations.empty else card.renovations
    if current.empty:
        with st.form("renovation_apply"):
            c1, c2 = st.columns(2)
            applicant = c1.text_input(t("card.applicant_required"), max_chars=64)
            contractor = c2.text_input(t("card.contractor_required"), max_chars=100)
            c1, c2 = st.columns(2)
            contractor_phone = c1.text_input(t("card.contractor_phone_required"), max_chars=20)
            deposit = c2.text_input(t("card.deposit_yuan"), value="2000.00", max_chars=12)
            scope = st.text_area(t("card.scope_required"), max_chars=500)
            c1, c2 = st.columns(2)
            start_on = c1.date_input(t("card.planned_start"), value=local_today(), format="YYYY-MM-DD")
            end_on = c2.date_input(t("card.planned_end"), value=local_today() + timedelta(days=60),
                                   format="YYYY-MM-DD")
            if st.form_submit_button(t("card.submit_application"), type="primary"):
                app = renovation.Application(
                    unit_id=card.id, applicant=applicant, contractor=contractor, contractor_phone=contractor_phone,
                    scope=scope, planned_start_on=start_on, planned_end_on=end_on, deposit=deposit,
                    applied_on=local_today())
                attempt(lambda: renovation.apply(actor=actor, application=app), t("card.application_recorded"))
        return
    r = current.iloc[0]
    rid, version, status = int(r.id), int(r.version), r.status
    st.info(t("card.current_renovation", status=status, contractor=r.contractor, deposit=fmt.money(r.deposit)))
    if status == "申请中":
        if not can(actor, "renovation.approve"):
            st.caption(t("card.awaiting_approval"))
            return
        reason = st.text_input(t("card.reject_reason"), max_chars=200)
        c1, c2 = st.columns(2)
        if c1.button(t("card.approve"), type="primary"):
            attempt(lambda: renovation.decide(actor=actor, renovation_id=rid, version=version, approve=True),
                     t("card.approved"))
        if c2.button(t("card.reject")):
            attempt(lambda: renovation.decide(actor=actor, renovation_id=rid, version=version, approve=False,
                                               reason=reason), t("card.rejected"))
    elif status == "已批准":
        started = st.date_input(t("card.started_on"), value=local_today(), format="YYYY-MM-DD")
        received = st.date_input(t("card.deposit_received_on"), value=local_today(), format="YYYY-MM-DD")
        if st.button(t("card.record_start"), type="primary"):
            attempt(lambda: renovation.start(actor=actor, renovation_id=rid, version=version, started_on=started,
                                              deposit_received_on=received), t("card.started"))
    elif status == "施工中":
        inspected = st.date_input(t("card.inspected_on"), value=local_today(), format="YYYY-MM-DD")
        violations = st.text_area(t("card.violations_input"), max_chars=500)
        if st.button(t("card.record_final_inspection"), type="primary"):
            attempt(lambda: renovation.inspect(actor=actor, renovation_id=rid, version=version,
                                                inspected_on=inspected, violations=violations),
                     t("card.final_inspection_recorded"))
    elif status == "已验收":
        refund = st.text_input(t("card.refund_yuan"), value=fmt.plain_hundredths(r.deposit), max_chars=12)
        refunded_on = st.date_input(t("card.refunded_on"), value=local_today(), format="YYYY-MM-DD")
        if st.button(t("card.close_renovation"), type="primary"):
            attempt(lambda: renovation.close(actor=actor, renovation_id=rid, version=version, refund=refund,
                                              refunded_on=refunded_on), t("card.renovation_closed"))


def _parking_dialog(actor: Actor, card: UnitCard) -> None:
    people = parking.unit_people_options(actor=actor, unit_id=card.id)
    if not people:
        st.info(t("card.no_residents"))
        return
    names = dict(people)
    with st.form("vehicle", clear_on_submit=True):
        c1, c2 = st.columns(2)
        person_id = c1.selectbox(t("card.vehicle_owner"), list(names), format_func=names.get)
        plate = c2.text_input(t("card.plate_number_required"), max_chars=10, placeholder=t("card.plate_placeholder"))
        if st.form_submit_button(t("card.add_vehicle")):
            attempt(lambda: parking.add_vehicle(actor=actor, unit_id=card.id, person_id=person_id, plate=plate),
                     t("card.vehicle_added"))
    active = card.parking[card.parking.status == LeaseStatus.ACTIVE] if not card.parking.empty else card.parking
    if not active.empty:
        lease = active.iloc[0]
        st.caption(t("card.active_lease", space=lease.space, end_on=lease.end_on))
        with st.form("renew"):
            new_end = st.date_input(t("card.renew_until"), value=lease.end_on + timedelta(days=365),
                                    format="YYYY-MM-DD")
            fee = st.text_input(t("card.monthly_fee_yuan"), value=fmt.plain_hundredths(lease.monthly_fee))
            if st.form_submit_button(t("card.renew"), type="primary"):
                attempt(lambda: parking.renew_lease(actor=actor, lease_id=int(lease.id), version=int(lease.version),
                                                     new_end_on=new_end, monthly_fee=fee), t("card.renewed"))
    spaces = parking.free_spaces(actor=actor, estate_id=card.estate_id)
    if spaces:
        with st.form("lease"):
            space_options = {s[0]: s[2] for s in spaces}
            versions = {s[0]: s[1] for s in spaces}
            c1, c2 = st.columns(2)
            space_id = c1.selectbox(t("card.free_space"), list(space_options), format_func=space_options.get)
            person_id = c2.selectbox(t("card.tenant"), list(names), format_func=names.get)
            c1, c2, c3, c4 = st.columns(4)
            plate = c1.text_input(t("card.plate_number"), max_chars=10)
            start = c2.date_input(t("card.lease_start"), value=local_today(), format="YYYY-MM-DD")
            end = c3.date_input(t("card.lease_end"), value=local_today() + timedelta(days=364), format="YYYY-MM-DD")
            fee = c4.text_input(t("card.monthly_fee_yuan"), value="300.00")
            if st.form_submit_button(t("card.lease_space"), type="primary"):
                attempt(lambda: parking.lease_space(actor=actor, space_id=space_id, space_version=versions[space_id],
                                                     person_id=person_id, unit_id=card.id, plate=plate,
                                                     start_on=start, end_on=end, monthly_fee=fee),
                         t("card.space_leased"))


def _vip_dialog(actor: Actor, card: UnitCard) -> None:
    for v in card.vip:
        c1, c2 = st.columns([4, 1])
        c1.write(t("card.vip_line", category=v["category"], reason=v["reason"]))
        if c2.button(t("card.end_vip"), key=f"vip:end:{v['id']}"):
            attempt(lambda v=v: households.end_vip(actor=actor, vip_id=v["id"], version=v["version"]),
                     t("card.vip_ended"))
    with st.form("vip"):
        category = st.selectbox(t("card.category"), VIP_CATEGORIES)
        reason = st.text_input(t("card.reason_required"), max_chars=200)
        care = st.text_area(t("card.care_notes"), max_chars=500)
        if st.form_submit_button(t("card.add_vip"), type="primary"):
            attempt(lambda: households.add_vip(actor=actor, unit_id=card.id, category=category, reason=reason,
                                                care_notes=care), t("card.vip_added"))


def _inspect_dialog(actor: Actor, card: UnitCard) -> None:
    with st.form("inspect"):
        day = st.date_input(t("card.inspection_day"), value=local_today(), format="YYYY-MM-DD")
        finding = st.text_input(t("card.finding"), max_chars=200, placeholder=t("card.finding_placeholder"))
        if st.form_submit_button(t("card.record_inspection"), type="primary"):
            attempt(lambda: households.record_inspection(actor=actor, unit_id=card.id, inspected_on=day,
                                                          finding=finding), t("card.inspection_recorded"))
