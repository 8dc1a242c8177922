"""考核规则 on /appraisal: the KPI set of each post, the reward/penalty rules and the incident types.

Everyone who is appraised can read how they are appraised; only appraisal.rules edits.

Decisions:
- A post's KPI set is edited and saved as a whole (its weights must total 100%), which a row-by-row grid
  cannot express: one table (st.data_editor) lists every KPI of the catalog with 使用, 范围, 目标, 权重 and
  方向, and the running weight total; targets are typed as people read them (95 for 95%, 2000 for ¥2,000).
- A rule is written in a form of plain choices (指标, 比较, 阈值 or 岗位目标, an optional second bound, 结果,
  计算方式, 金额/比例/分值, 按次); the list shows every rule as a sentence, as the scorecards explain it.
- Changing a rule or a KPI affects the next drafts only; approved scorecards keep what they were built with.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import pandas as pd
import streamlit as st

from services.appraisal import rules
from services.appraisal.posts import post_names
from services.appraisal.rules import (
    DIRECTIONS,
    EFFECTS,
    KPI_CATALOG,
    MONEY_BASES,
    OP_TEXT,
    OPS,
    POINTS,
    SCOPES,
    KpiEntry,
    RuleSpec,
    typed_measure,
)
from services.appraisal.staff import INCIDENT_KINDS
from services.platform.auth import Actor, can
from services.platform.errors import DomainError
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import money_table
from ui.kit.tabs import lazy_tabs

ALL_POSTS = ""


def setup_tab(actor: Actor) -> None:
    editing = can(actor, "appraisal.rules")
    lazy_tabs("appraisal:setup:tab", [(t("appraisal.setup_kpis"), partial(_kpi_catalog, actor, editing)),
                                      (t("appraisal.setup_rules"), partial(_rules, actor, editing)),
                                      (t("appraisal.setup_incident_types"), partial(_incident_types, actor, editing))])


# --- the KPI set of a post ----------------------------------------------------------------------------------


def catalog_frame(rows: list[rules.PostKpiRow]) -> pd.DataFrame:
    """Every KPI of the catalog as an editor row, those the post uses filled in."""
    used = {r.kpi: r for r in rows}
    return pd.DataFrame([{
        "kpi": k.key, "use": k.key in used, "label": k.label,
        "scope": used[k.key].scope if k.key in used else rules.PERSON,
        "target": typed_measure(k.kind, used[k.key].target) if k.key in used else "",
        "unit": {"rate": "%", "money": "元", "count": "件"}[k.kind],
        "weight": used[k.key].weight if k.key in used else 0,
        "direction": used[k.key].direction if k.key in used else k.direction, "help": k.help,
    } for k in KPI_CATALOG.values()])


def entries_from_frame(frame: pd.DataFrame) -> list[KpiEntry]:
    """The rows ticked 使用, as the service takes them (targets and weights as typed)."""
    out = []
    for row in frame.itertuples():
        if not bool(row.use):
            continue
        weight = "" if row.weight is None or row.weight != row.weight else int(row.weight)  # a cleared cell
        out.append(KpiEntry(kpi=row.kpi, target=row.target, weight=weight, scope=row.scope, direction=row.direction))
    return out


def _kpi_catalog(actor: Actor, editing: bool) -> None:
    counts = rules.catalog_posts(actor=actor)
    post = st.selectbox(t("appraisal.post"), list(counts), key="ap:catalog_post",
                        format_func=lambda p: f"{p}（{counts[p]} {t('appraisal.kpi_count')}）")
    current = rules.post_kpis(actor=actor, post=post)
    if not editing:
        frame = pd.DataFrame([{"label": r.label, "scope": r.scope, "target": typed_measure(r.kind, r.target),
                               "weight": f"{r.weight}%", "direction": r.direction} for r in current])
        money_table(frame, {"label": t("appraisal.kpi"), "scope": t("appraisal.scope"),
                            "target": t("appraisal.target"), "weight": t("appraisal.weight"),
                            "direction": t("appraisal.direction")}, numbers=("target", "weight"),
                    key="ap:catalog_read")
        return
    versions = {r.kpi: r.version for r in current}
    st.caption(t("appraisal.catalog_hint"))
    edited = st.data_editor(
        catalog_frame(current), hide_index=True, width="stretch", key=f"ap:catalog:{post}:{sorted(versions.items())}",
        column_order=("use", "label", "scope", "target", "unit", "weight", "direction", "help"),
        disabled=("label", "unit", "help"),
        column_config={
            "use": st.column_config.CheckboxColumn(t("appraisal.use"), width="small"),
            "label": st.column_config.TextColumn(t("appraisal.kpi")),
            "scope": st.column_config.SelectboxColumn(t("appraisal.scope"), options=SCOPES, required=True),
            "target": st.column_config.TextColumn(t("appraisal.target")),
            "unit": st.column_config.TextColumn(t("appraisal.unit"), width="small"),
            "weight": st.column_config.NumberColumn(t("appraisal.weight_pct"), min_value=0, max_value=100, step=1),
            "direction": st.column_config.SelectboxColumn(t("appraisal.direction"), options=DIRECTIONS,
                                                          required=True),
            "help": st.column_config.TextColumn(t("appraisal.kpi_help"), width="large"),
        })
    entries = entries_from_frame(edited)
    total = sum(int(e.weight) for e in entries if str(e.weight).isdigit())
    c1, c2 = st.columns([3, 1], vertical_alignment="center")
    (c1.success if total == 100 else c1.warning)(t("appraisal.weight_total", total=total))
    if c2.button(t("appraisal.save_kpis"), type="primary", key="ap:catalog_save", width="stretch"):
        try:
            n = rules.save_post_kpis(actor=actor, post=post, entries=entries, versions=versions)
        except DomainError as exc:
            st.error(exc.message)
        else:
            flash(t("appraisal.kpis_saved", post=post, n=n))
            st.rerun()


# --- rules ---------------------------------------------------------------------------------------------


def _rules(actor: Actor, editing: bool) -> None:
    views = rules.list_rules(actor=actor)
    frame = pd.DataFrame([{"name": r.name, "post": r.post or t("appraisal.all_posts"), "condition": r.condition,
                           "consequence": r.consequence, "active": r.active, "note": r.note} for r in views],
                         columns=["name", "post", "condition", "consequence", "active", "note"])
    money_table(frame, {"name": t("appraisal.rule_name"), "post": t("appraisal.post"),
                        "condition": t("appraisal.condition"), "consequence": t("appraisal.consequence"),
                        "active": t("appraisal.active_rule"), "note": t("appraisal.note")},
                height=38 + 35 * max(len(frame), 1), key="ap:rules")  # every rule at once, no inner scroll
    if not editing:
        return
    by_id = {r.id: r for r in views}
    chosen = st.selectbox(t("appraisal.edit_rule"), [None, *by_id], key="ap:rule_pick",
                          format_func=lambda i: t("appraisal.new_rule") if i is None else by_id[i].name)
    metric_labels = rules.metric_options(actor=actor)
    kinds = _metric_kinds(actor)
    view = by_id.get(chosen)
    spec = view.spec(kinds.get(view.metric, "count")) if view else RuleSpec(name="", metric="", op=">=")
    with st.form(f"ap:rule:{chosen}:{view.version if view else 0}"):
        c1, c2 = st.columns(2)
        name = c1.text_input(t("appraisal.rule_name"), value=spec.name, max_chars=64)
        # a rule keeps a post deactivated since; the form still shows it
        offered = list(dict.fromkeys([ALL_POSTS, *post_names(), spec.post]))
        post = c2.selectbox(t("appraisal.post"), offered, index=offered.index(spec.post),
                            format_func=lambda p: p or t("appraisal.all_posts"))
        st.markdown(f"**{t('appraisal.condition')}**")
        c1, c2, c3, c4 = st.columns([3, 1, 1.4, 1.6])
        codes = ["", *metric_labels]
        metric = c1.selectbox(t("appraisal.metric"), codes, index=codes.index(spec.metric) if spec.metric in codes else 0,
                              format_func=lambda c: metric_labels.get(c, t("appraisal.pick_metric")))
        op = c2.selectbox(t("appraisal.op"), OPS, index=OPS.index(spec.op), format_func=OP_TEXT.get)
        threshold = c3.text_input(t("appraisal.threshold"), value=spec.threshold or "",
                                  help=t("appraisal.threshold_help"))
        use_target = c4.checkbox(t("appraisal.use_target"), value=spec.use_target)
        c1, c2, _ = st.columns([1, 1.4, 3])
        op2_choices = ["", *OPS]
        op2 = c1.selectbox(t("appraisal.op2"), op2_choices, index=op2_choices.index(spec.op2),
                           format_func=lambda o: OP_TEXT.get(o, t("appraisal.none")))
        threshold2 = c2.text_input(t("appraisal.threshold2"), value=spec.threshold2 or "")
        st.markdown(f"**{t('appraisal.consequence')}**")
        c1, c2, c3, c4 = st.columns([1.2, 1.4, 1.2, 1])
        effect = c1.selectbox(t("appraisal.effect"), EFFECTS, index=EFFECTS.index(spec.effect))
        bases = (*MONEY_BASES, POINTS)
        basis = c2.selectbox(t("appraisal.basis"), bases, index=bases.index(spec.basis),
                             help=t("appraisal.basis_help"))
        amount = c3.text_input(t("appraisal.amount"), value=spec.amount or "")
        per = c4.checkbox(t("appraisal.per_occurrence"), value=spec.per_occurrence)
        c1, c2 = st.columns([4, 1])
        note = c1.text_input(t("appraisal.note"), value=spec.note, max_chars=200)
        active = c2.checkbox(t("appraisal.active_rule"), value=spec.active)
        if st.form_submit_button(t("appraisal.save_rule"), type="primary"):
            new = RuleSpec(name, metric, op, threshold, use_target, op2, threshold2, effect, basis, amount, per, post,
                           note, active)
            try:
                if view is None:
                    rules.create_rule(actor=actor, spec=new)
                else:
                    rules.update_rule(actor=actor, rule_id=view.id, version=view.version, spec=new)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("appraisal.rule_saved", name=name.strip()))
                st.rerun()
    st.caption(t("appraisal.rules_hint"))


def _metric_kinds(actor: Actor) -> Mapping[str, str]:
    kinds = {f"kpi:{k.key}": k.kind for k in KPI_CATALOG.values()}
    return {code: kinds.get(code, "count") for code in rules.metric_options(actor=actor)}


# --- incident types -----------------------------------------------------------------------------------------


def _incident_types(actor: Actor, editing: bool) -> None:
    frame = rules.list_incident_types(actor=actor)
    money_table(frame, {"name": t("appraisal.incident_type"), "kind": t("appraisal.incident_kind"),
                        "description": t("appraisal.description"), "active": t("appraisal.active_rule")},
                key="ap:incident_types")
    if not editing:
        return
    by_id = {int(r.id): r for r in frame.itertuples()}
    chosen = st.selectbox(t("appraisal.edit_incident_type"), [None, *by_id], key="ap:type_pick",
                          format_func=lambda i: t("appraisal.new_incident_type") if i is None else by_id[i].name)
    row = by_id.get(chosen)
    with st.form(f"ap:type:{chosen}:{row.version if row else 0}"):
        c1, c2, c3 = st.columns([2, 1, 1])
        name = c1.text_input(t("appraisal.incident_type"), value=row.name if row else "", max_chars=32)
        kind = c2.selectbox(t("appraisal.incident_kind"), INCIDENT_KINDS,
                            index=INCIDENT_KINDS.index(row.kind) if row else 0)
        active = c3.checkbox(t("appraisal.active_rule"), value=bool(row.active) if row else True)
        description = st.text_input(t("appraisal.description"), value=row.description if row else "",
                                    max_chars=200)
        if st.form_submit_button(t("appraisal.save_incident_type"), type="primary"):
            try:
                rules.save_incident_type(actor=actor, name=name, kind=kind, description=description, active=active,
                                         type_id=chosen, version=int(row.version) if row else None)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("appraisal.incident_type_saved", name=name.strip()))
                st.rerun()
