"""特约服务/家政 (/relations, tab 特约服务): the orders, the price list and the month.

Decisions (tests/pages/test_relations_paid_services.py checks them):
- Three views on one switch: 订单 (the desk's daily view), 价目表, 月度汇总.
- 订单: the unit is found with the one search box of /owners and the cashier counter (ui.estate.unit_card.search_box,
  whose pick they share), so the unit in hand is the same everywhere; with a unit in hand the desk registers an
  order for it in a dialog and may narrow the list to it. The grid lists the orders (search, sort, SQL paging,
  Excel export); the picker under it opens one order with what may be done to it by this role in its state:
  完成并计费 / 改约改派 / 取消, each in a dialog.
- A dialog in progress is kept in session state (what, which), drawn on every run until it is done, left or
  dismissed, as the counter's are: a rerun never loses what was typed.
- Completing says where the money goes: a bill 特约服务 of the unit, which the cashier counter collects like any
  other (prepaid credit 预存 pays it first); nothing is paid here.
- 价目表: editable in the grid for the manager (services.manage), read-only for the others; an add form below.
- 月度汇总: the month's figures, by category, and twelve months of money billed and collected.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from services.platform.auth import Actor, can
from services.platform.clock import SHANGHAI, local_today, to_local
from services.platform.errors import DomainError
from services.platform.period import Period, period_of
from services.relations import paid_services as ps
from ui.estate.unit_card import SELECTED, search_box
from ui.kit import fmt, specs
from ui.kit.forms import choice_field, text_field
from ui.kit.grid import data_grid, open_row, picked_row
from ui.kit.i18n import t
from ui.kit.session import attempt, flash
from ui.kit.tables import fit_height, money_table
from ui.kit.tabs import grid_query_keys

VIEW = "services:view"
DIALOG = "services:dialog"  # (what, id): ("new", unit id) / ("complete" | "reschedule" | "cancel", order id)
ALL = "__all__"
ADD_FORM = "services:add_form"  # the generation of the price list's add form
# the widgets a user finds again on coming back to the tab (ui/kit/tabs.py): the view, the filters, the search box
# shared with /owners and the counter, and each grid's search and sort
KEEP: tuple[str, ...] = (VIEW, "services:filter:", "services:month", "owners:search",
                         *grid_query_keys("paid_service_orders", "paid_service_items"))


def paid_services_tab(actor: Actor) -> None:
    """The register of 特约服务/家政: orders of units, the price list, the month."""
    views = {"orders": t("services.view_orders"), "prices": t("services.view_prices"),
             "month": t("services.view_month")}
    view = st.segmented_control(t("services.view"), list(views), format_func=lambda v: views[v], default="orders",
                                key=VIEW, label_visibility="collapsed") or "orders"
    {"orders": _orders_view, "prices": _prices_view, "month": _month_view}[view](actor)
    _open_dialog(actor)


def _done(message: str) -> None:
    st.session_state.pop(DIALOG, None)
    flash(message)
    st.rerun()


def _close() -> None:
    st.session_state.pop(DIALOG, None)


def _back_button(key: str, where: Any = st) -> None:
    """返回: the dialog closes without writing anything."""
    if where.button(t("services.back"), key=key, width="stretch"):
        _close()
        st.rerun()


# --- 订单 --------------------------------------------------------------------------------------------


def _orders_view(actor: Actor) -> None:
    unit_id = _unit_in_hand(actor)
    c1, c2, c3 = st.columns([1, 1, 2], vertical_alignment="bottom")
    statuses = {ALL: t("services.all"), **{s: s for s in ps.ORDER_STATUSES}}
    status = c1.selectbox(t("services.status"), list(statuses), format_func=lambda v: statuses[v],
                          key="services:filter:status")
    categories = {ALL: t("services.all"), **{c: c for c in ps.CATEGORIES}}
    category = c2.selectbox(t("services.category"), list(categories), format_func=lambda v: categories[v],
                            key="services:filter:category")
    only_unit = unit_id is not None and c3.toggle(t("services.only_unit"), key="services:filter:only_unit")
    filters: dict[str, object] = {}
    if status != ALL:
        filters["status"] = status
    if category != ALL:
        filters["category"] = category
    if only_unit:
        filters["unit_id"] = unit_id
    data_grid(specs.PAID_SERVICE_ORDERS, load=lambda q: ps.list_orders(actor=actor, query=q), filters=filters)
    order_id = picked_row(specs.PAID_SERVICE_ORDERS)
    if order_id is None:
        st.caption(t("services.pick_hint"))
        return
    try:
        order = ps.get_order(actor=actor, order_id=order_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    _order_card(actor, order)


def _unit_in_hand(actor: Actor) -> int | None:
    """The search box and the unit picked in it (shared with /owners and the counter), with 登记 for the desk."""
    if not can(actor, "units.view"):
        return None
    c1, c2 = st.columns([3, 2], vertical_alignment="top")
    with c1:
        search_box(actor)
    unit_id = st.session_state.get(SELECTED)
    with c2:
        if unit_id is None:
            if can(actor, "services.order"):
                st.caption(t("services.pick_unit_hint"))
            return None
        try:
            contact = ps.unit_contact(actor=actor, unit_id=unit_id)
        except DomainError as exc:
            st.error(exc.message)
            return None
        st.markdown(t("services.unit_in_hand", unit=contact.unit))
        if can(actor, "services.order") and st.button(t("services.new_order"), key="services:new", type="primary",
                                                       icon=":material/add:", width="stretch"):
            st.session_state[DIALOG] = ("new", unit_id)
            st.rerun()
    return int(unit_id)


def _item_label(name: str, category: str) -> str:
    """'日常保洁（家政保洁）'; just the name where it says its category (管道疏通)."""
    return name if name == category else f"{name}（{category}）"


def _line(label: str, value: str) -> str:
    return f"**{label}**　{value}"


def _order_card(actor: Actor, o: ps.ServiceOrder) -> None:
    with st.container(border=True):
        st.subheader(t("services.card_title", no=o.order_no, status=o.status), anchor=False)
        c1, c2, c3 = st.columns(3)
        c1.markdown("  \n".join([
            _line(t("services.unit"), o.unit),
            _line(t("services.requester"), f"{o.requester_name}　{o.requester_phone}"),
            _line(t("services.request"), o.request or "—"),
        ]))
        c2.markdown("  \n".join([
            _line(t("services.item"), _item_label(o.item_name, o.category)),
            _line(t("services.quantity"), f"{ps.quantity_text(o.quantity)} {o.charge_unit} × {fmt.money(o.price)}"),
            _line(t("services.amount"), fmt.money(o.amount)),
        ]))
        c3.markdown("  \n".join([
            _line(t("services.scheduled_at"), fmt.moment(o.scheduled_at)),
            _line(t("services.staff"), o.staff_name),
            _line(t("services.ordered_by"), f"{o.ordered_by}　{fmt.moment(o.ordered_at)}"),
        ]))
        if o.status == ps.OrderStatus.DONE:
            rating = t("services.rating_value", n=o.rating, word=ps.RATING_WORDS[o.rating]) if o.rating \
                else t("services.rating_none")
            st.markdown("  \n".join([
                _line(t("services.completed_at"), f"{fmt.moment(o.completed_at)}　{o.completed_by}"),
                _line(t("services.rating"), rating + (f"　“{o.comment}”" if o.comment else "")),
            ]))
            owed = o.bill_outstanding if o.bill_outstanding is not None else Decimal("0.00")
            text = t("services.bill_line", amount=fmt.money(o.amount), status=o.bill_status, owed=fmt.money(owed))
            if o.bill_status in ("未缴", "部分缴"):
                st.info(text + t("services.bill_to_counter"), icon=":material/point_of_sale:")
            else:
                st.success(text, icon=":material/receipt_long:")
        elif o.status == ps.OrderStatus.CANCELLED:
            st.markdown(_line(t("services.cancelled"), f"{fmt.moment(o.cancelled_at)}　{o.cancel_reason}"))
        else:
            _order_actions(actor, o)


def _order_actions(actor: Actor, o: ps.ServiceOrder) -> None:
    actions: list[tuple[str, str, str]] = []
    if can(actor, "services.complete"):
        actions.append(("complete", t("services.complete"), ":material/task_alt:"))
    if can(actor, "services.order"):
        actions.append(("reschedule", t("services.reschedule"), ":material/event_repeat:"))
        actions.append(("cancel", t("services.cancel"), ":material/cancel:"))
    if not actions:
        return
    cols = st.columns(len(actions) + 1)
    for col, (what, label, icon) in zip(cols, actions, strict=False):
        if col.button(label, key=f"services:{what}:{o.id}", type="primary" if what == "complete" else "secondary",
                      icon=icon, width="stretch"):
            st.session_state[DIALOG] = (what, o.id)
            st.rerun()


# --- the dialogs -------------------------------------------------------------------------------------


def _open_dialog(actor: Actor) -> None:
    """Draw the dialog in progress, if any (see the module docstring)."""
    current = st.session_state.get(DIALOG)
    if not current:
        return
    what, target = current
    bodies: dict[str, tuple[str, Callable[[Actor, int], None]]] = {
        "new": (t("services.new_title"), _new_order_dialog),
        "complete": (t("services.complete_title"), _complete_dialog),
        "reschedule": (t("services.reschedule_title"), _reschedule_dialog),
        "cancel": (t("services.cancel_title"), _cancel_dialog),
    }
    title, body = bodies[what]
    st.dialog(title, width="large" if what in ("new", "complete") else "medium", on_dismiss=_close)(body)(
        actor, target)


def _moment(day_key: str, time_key: str) -> datetime | None:
    day, clock = st.session_state.get(day_key), st.session_state.get(time_key)
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, SHANGHAI)


def _next_slot() -> datetime:
    """Where an appointment starts by default: the next whole hour within working hours (09:00–19:00)."""
    now = datetime.now(SHANGHAI)
    slot = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    if slot.hour < 9:
        slot = slot.replace(hour=9)
    elif slot.hour > 19:
        slot = (slot + timedelta(days=1)).replace(hour=9)
    return slot


def _when_inputs(prefix: str, *, day_label: str, time_label: str, value: datetime | None = None,
                 max_today: bool = False) -> datetime | None:
    local = to_local(value if value is not None else _next_slot())
    c1, c2 = st.columns(2)
    c1.date_input(day_label, value=local.date(), format="YYYY-MM-DD",
                  max_value=local_today() if max_today else None, key=f"{prefix}:day")
    c2.time_input(time_label, value=local.time().replace(second=0, microsecond=0),
                  step=timedelta(minutes=15 if not max_today else 5), key=f"{prefix}:time")
    return _moment(f"{prefix}:day", f"{prefix}:time")


def _staff_inputs(actor: Actor, prefix: str, *, staff_id: int | None = None, outside: str = "") -> tuple[int | None, str]:
    staff = ps.staff_choices(actor=actor)
    options: list[int | None] = [None, *staff]
    c1, c2 = st.columns(2)
    picked = c1.selectbox(t("services.staff_input"), options, index=options.index(staff_id) if staff_id in options
                          else 0, format_func=lambda i: t("services.staff_none") if i is None else staff[i],
                          key=f"{prefix}:staff")
    name = c2.text_input(t("services.staff_outside"), value=outside, max_chars=32, key=f"{prefix}:outside",
                         placeholder=t("services.staff_outside_hint"))
    return picked, name


def _new_order_dialog(actor: Actor, unit_id: int) -> None:
    try:
        contact = ps.unit_contact(actor=actor, unit_id=unit_id)
        items = {i.id: i for i in ps.active_items(actor=actor)}
    except DomainError as exc:
        st.error(exc.message)
        return
    st.markdown(t("services.unit_in_hand", unit=contact.unit))
    if not items:
        st.warning(t("services.no_items"))
        _back_button("services:new:back")
        return
    prefix = f"services:new:{unit_id}"
    c1, c2 = st.columns(2)
    name = c1.text_input(t("services.requester_input"), value=contact.name, max_chars=64, key=f"{prefix}:name")
    phone = c2.text_input(t("services.phone_input"), max_chars=20, key=f"{prefix}:phone",
                          placeholder="13812345678 / 020-12345678")
    c1, c2 = st.columns([3, 1])
    item_id = c1.selectbox(t("services.item_input"), list(items), key=f"{prefix}:item",
                           format_func=lambda i: f"{_item_label(items[i].name, items[i].category)} · "
                                                 f"{fmt.money(items[i].price)}/{items[i].charge_unit}")
    quantity = c2.text_input(t("services.quantity_input", unit=items[item_id].charge_unit), value="1",
                             max_chars=10, key=f"{prefix}:qty")
    item = items[item_id]
    if item.note:
        st.caption(item.note)
    when = _when_inputs(prefix, day_label=t("services.day_input"), time_label=t("services.time_input"))
    staff_id, outside = _staff_inputs(actor, prefix)
    request = st.text_area(t("services.request_input"), max_chars=500, height=80, key=f"{prefix}:request")
    estimate = ps.quote(price=item.price, quantity=quantity)
    st.caption(t("services.estimate", amount=fmt.money(estimate)) if estimate is not None
               else t("services.estimate_unknown"))
    c1, c2 = st.columns(2)
    submit = c1.button(t("services.submit_order"), type="primary", key="services:new:submit", width="stretch")
    _back_button("services:new:back", c2)
    if submit:
        try:
            order = ps.create_order(actor=actor, unit_id=unit_id, requester_name=name, requester_phone=phone,
                                    item_id=item_id, quantity=quantity, scheduled_at=when, staff_id=staff_id,
                                    staff_name=outside, request=request)
        except DomainError as exc:
            st.error(exc.message)
            return
        open_row(specs.PAID_SERVICE_ORDERS, order.id)
        _done(t("services.ordered", no=order.order_no, item=order.item_name, amount=fmt.money(order.amount)))


def _load(actor: Actor, order_id: int) -> ps.ServiceOrder | None:
    try:
        order = ps.get_order(actor=actor, order_id=order_id)
    except DomainError as exc:
        st.error(exc.message)
        return None
    if order.status != ps.OrderStatus.BOOKED:
        st.warning(t("services.not_open", no=order.order_no, status=order.status))
        return None
    st.markdown(t("services.dialog_what", no=order.order_no, unit=order.unit, item=order.item_name,
                  qty=ps.quantity_text(order.quantity), charge_unit=order.charge_unit, price=fmt.money(order.price),
                  when=fmt.moment(order.scheduled_at), staff=order.staff_name))
    return order


def _complete_dialog(actor: Actor, order_id: int) -> None:
    o = _load(actor, order_id)
    if o is None:
        _back_button("services:complete:back")
        return
    prefix = f"services:complete:{order_id}"
    when = _when_inputs(prefix, day_label=t("services.done_day"), time_label=t("services.done_time"),
                        value=datetime.now(SHANGHAI).replace(second=0, microsecond=0), max_today=True)
    c1, c2 = st.columns([1, 2])
    quantity = c1.text_input(t("services.actual_qty", unit=o.charge_unit), value=ps.quantity_text(o.quantity), max_chars=10,
                             key=f"{prefix}:qty")
    ratings: list[int | None] = [*ps.RATINGS, None]
    rating = c2.selectbox(t("services.rating_input"), ratings, key=f"{prefix}:rating",
                          format_func=lambda r: t("services.rating_none") if r is None
                          else t("services.rating_value", n=r, word=ps.RATING_WORDS[r]))
    comment = st.text_area(t("services.comment_input"), max_chars=500, height=80, key=f"{prefix}:comment")
    amount = ps.quote(price=o.price, quantity=quantity)
    st.info(t("services.complete_effect", amount=fmt.money(amount)), icon=":material/point_of_sale:")
    c1, c2 = st.columns(2)
    submit = c1.button(t("services.confirm_complete"), type="primary", key="services:complete:submit", width="stretch")
    _back_button("services:complete:back", c2)
    if submit:
        attempt(lambda: ps.complete_order(actor=actor, order_id=o.id, version=o.version, completed_at=when,
                                          quantity=quantity, rating=rating, comment=comment),
                _completed, then=_close)


def _completed(done: ps.Completion) -> str:
    if done.credit_used:
        return t("services.completed_credit", no=done.order_no, amount=fmt.money(done.amount),
                 credit=fmt.money(done.credit_used), due=fmt.money(done.outstanding))
    return t("services.completed", no=done.order_no, amount=fmt.money(done.amount))


def _reschedule_dialog(actor: Actor, order_id: int) -> None:
    o = _load(actor, order_id)
    if o is None:
        _back_button("services:reschedule:back")
        return
    prefix = f"services:reschedule:{order_id}"
    when = _when_inputs(prefix, day_label=t("services.day_input"), time_label=t("services.time_input"),
                        value=o.scheduled_at)
    staff_id, outside = _staff_inputs(actor, prefix, staff_id=o.staff_id,
                                      outside="" if o.staff_id is not None else o.staff_name)
    c1, c2 = st.columns(2)
    submit = c1.button(t("services.confirm_reschedule"), type="primary", key="services:reschedule:submit", width="stretch")
    _back_button("services:reschedule:back", c2)
    if submit:
        attempt(lambda: ps.reschedule_order(actor=actor, order_id=o.id, version=o.version, scheduled_at=when,
                                            staff_id=staff_id, staff_name=outside),
                t("services.rescheduled", no=o.order_no), then=_close)


def _cancel_dialog(actor: Actor, order_id: int) -> None:
    o = _load(actor, order_id)
    if o is None:
        _back_button("services:cancel:back")
        return
    reason = st.text_input(t("services.cancel_reason"), max_chars=200, key=f"services:cancel:{order_id}:reason",
                           placeholder=t("services.cancel_reason_hint"))
    c1, c2 = st.columns(2)
    submit = c1.button(t("services.confirm_cancel"), type="primary", key="services:cancel:submit", width="stretch")
    _back_button("services:cancel:back", c2)
    if submit:
        attempt(lambda: ps.cancel_order(actor=actor, order_id=o.id, version=o.version, reason=reason),
                t("services.cancelled_done", no=o.order_no), then=_close)


# --- 价目表 ------------------------------------------------------------------------------------------


def _prices_view(actor: Actor) -> None:
    manage = can(actor, "services.manage")
    st.caption(t("services.prices_caption"))
    data_grid(specs.PAID_SERVICE_ITEMS, load=lambda q: ps.list_items(actor=actor, query=q),
              save=(lambda edits: ps.update_items(actor=actor, edits=edits)) if manage else None)
    if not manage:
        return
    st.markdown(f"**{t('services.add_item')}**")
    # a new form (new widgets) after each service added; after a refusal the same one, with what was typed
    generation = st.session_state.get(ADD_FORM, 0)
    with st.form(f"services:add_item:{generation}", border=True):
        c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
        with c1:
            name = text_field(ps.ITEM_TABLE, "name")
        with c2:
            category = choice_field(ps.ITEM_TABLE, "category")
        with c3:
            unit = choice_field(ps.ITEM_TABLE, "charge_unit")
        with c4:
            price = text_field(ps.ITEM_TABLE, "price", max_chars=12)
        note = text_field(ps.ITEM_TABLE, "note")
        if st.form_submit_button(t("services.add_submit"), type="primary"):
            try:
                ps.add_item(actor=actor, name=name, category=category, charge_unit=unit, price=price, note=note)
            except DomainError as exc:
                st.error(exc.message)
            else:
                st.session_state[ADD_FORM] = generation + 1
                flash(t("services.item_added", name=name.strip()))
                st.rerun()


# --- 月度汇总 ----------------------------------------------------------------------------------------


def _months(n: int = 12) -> list[str]:
    labels = [period_of(datetime.now(SHANGHAI))]
    while len(labels) < n:
        labels.append(Period.parse(labels[-1]).previous().label)
    return labels


def _month_view(actor: Actor) -> None:
    c1, _ = st.columns([1, 3])
    month = c1.selectbox(t("services.month"), _months(), key="services:month")
    try:
        summary = ps.month_summary(actor=actor, period=month)
        trend = ps.monthly_trend(actor=actor, end=month, months=12)
    except DomainError as exc:
        st.error(exc.message)
        return
    cols = st.columns(5)
    cols[0].metric(t("services.m_orders"), f"{summary.orders}",
                   help=t("services.m_orders_help", booked=summary.booked, cancelled=summary.cancelled))
    cols[1].metric(t("services.m_completed"), f"{summary.completed}")
    cols[2].metric(t("services.m_billed"), fmt.money(summary.billed))
    cols[3].metric(t("services.m_collected"), fmt.money(summary.collected))
    cols[4].metric(t("services.m_rating"), "—" if summary.average_rating is None
                   else t("services.m_rating_value", v=summary.average_rating), help=t("services.m_rating_help",
                                                                                      n=summary.rated))
    st.caption(t("services.m_caption"))
    left, right = st.columns([2, 3])
    with left:
        st.markdown(f"**{t('services.by_category')}**")
        df = summary.by_category.copy()
        df["average_rating"] = [("—" if v is None else f"{v}") for v in df["average_rating"]]
        money_table(df, {"category": t("services.category"), "completed": t("services.m_completed"),
                         "billed": t("services.m_billed"), "collected": t("services.m_collected"),
                         "average_rating": t("services.m_rating")},
                    money=("billed", "collected"), numbers=("completed", "average_rating"),
                    height=fit_height(len(df)), key=f"services:by_category:{month}")
    with right:
        st.markdown(f"**{t('services.trend')}**")
        st.altair_chart(_trend_chart(trend), width="stretch")


def _trend_chart(trend: pd.DataFrame) -> alt.Chart:
    billed, collected = t("services.m_billed"), t("services.m_collected")
    # money as float for drawing only: the figures shown as text above stay Decimal
    long = pd.DataFrame(
        [{"period": r.period, "series": name, "yuan": float(value)}
         for r in trend.itertuples() for name, value in ((billed, r.billed), (collected, r.collected))])
    chart: alt.Chart = alt.Chart(long).mark_bar().encode(
        x=alt.X("period:N", title=None, axis=alt.Axis(labelAngle=-45)),
        xOffset=alt.XOffset("series:N", sort=[billed, collected]),
        y=alt.Y("yuan:Q", title=t("services.yuan")),
        color=alt.Color("series:N", title=None, sort=[billed, collected],
                        scale=alt.Scale(range=["#4c78a8", "#72b7b2"]), legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("period:N", title=t("services.month")), alt.Tooltip("series:N", title=""),
                 alt.Tooltip("yuan:Q", title=t("services.yuan"), format=",.2f")],
    ).properties(height=260)
    return chart
