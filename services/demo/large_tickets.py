"""Five years of tickets for the large demo (`propdesk demo --scale large`): about ten tickets per unit
(200,000 at 20,000 units) of every type, channel and state, with their timelines, revisits, complaint rulings and
the audit rows services.tickets.workflow writes for each step.

The tickets are what the workflow would have produced: numbers per type and local day without gaps, in the order
the calls came in; deadlines from the seed SLA table (hours, or working days on the holiday calendar); the moves
of workflow.MOVES only, each with its TicketEvent and (but 待回访, written with 完成) one audit row; a revisit row
for each completion of a ticket that needs one (repairs 24 hours after, complaints 3 working days after the first
reply); 不满意 revisits reopened and done again.

Decisions (the issue is silent on them):
- the content, categories, type and channel mixes are the small demo's (builder.TICKET_TEMPLATES and its weights);
  repairs go to the engineers, other tickets to the front desk; a member of staff takes tickets only from the day
  they were hired;
- states: what is older than a few days is closed (or cancelled, 1%), but for a few tickets forgotten in hand and a
  few revisits never made (both overdue); the last days hold every open state; a tenth of 不满意 revisits is not
  reopened, the others are reopened, completed again and revisited again;
- every timestamp is placed relative to the local midnight that starts today (see large_fees).
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from sqlalchemy import func, select

from db.engine import read_session, unit_of_work
from db.models import Staff, TicketCategory, Unit, User
from services.demo import bulk
from services.estate.statuses import LIVED_IN
from services.platform.clock import SHANGHAI
from services.tickets.statuses import TicketStatus
from services.tickets.workdays import WorkCalendar
from services.tickets.workflow import DEFAULT_POLICIES, PREFIX, seed_categories, seed_policies

TICKETS_PER_UNIT = 10  # over the five years
YEARS = 5
CANCEL_ODDS = 0.01
STUCK_ODDS = 0.002  # left in hand, long overdue
REVISIT_FORGOTTEN_ODDS = 0.003
REOPEN_ODDS = 0.9  # of the 不满意 revisits
PAID_ODDS = 0.15  # of the repairs
CANCEL_REASONS = ("业主来电撤销：问题已自行解决", "重复报事，已合并到先前工单", "业主不在家，改约后另行报事")
UNHAPPY = ("维修后仍有渗水", "师傅未清理现场", "处理时间太长", "问题没有根本解决")
S = TicketStatus


def build_ticket_history(rng: random.Random, *, today: date, templates: dict[str, list[str]],
                         categories_of: dict[str, tuple[str, str]], type_weights: tuple[tuple[str, int], ...],
                         channel_weights: tuple[tuple[str, int], ...], years: int = YEARS,
                         per_unit: int = TICKETS_PER_UNIT) -> dict[str, int]:
    """Tickets, events, revisits, counters and audit rows of `years` years (see the module docstring); returns the
    rows written per table."""
    now = datetime.combine(today, time(0), SHANGHAI)
    start = today - timedelta(days=365 * years + years // 4)
    cal = WorkCalendar.load(start - timedelta(days=5), today + timedelta(days=60))
    policy = {t: (unit, amount, revisit) for t, unit, amount, revisit in DEFAULT_POLICIES}
    with unit_of_work() as uow:
        s = uow.session
        seed_policies(s)
        seed_categories(s)
        uow.commit()
    with read_session() as s:
        category_ids = {(p, q): i for i, p, q in s.execute(
            select(TicketCategory.id, TicketCategory.place, TicketCategory.problem))}
        users = {u: (i, n, hired) for u, i, n, hired in s.execute(
            select(User.username, User.id, User.display_name, Staff.hired_on).join(Staff, Staff.id == User.staff_id,
                                                                                  isouter=True))}
        staff = list(s.scalars(select(Staff.id).order_by(Staff.id)))
        units = [tuple(r) for r in s.execute(select(Unit.id, Unit.estate_id).where(Unit.status.in_(LIVED_IN))
                                             .order_by(Unit.id))]
        first_ticket = bulk.next_id(s, "tickets")
        all_units = s.scalar(select(func.count(Unit.id))) or 0
    username = {i: u for u, (i, _n, _h) in users.items()}
    name_of = {i: n for _u, (i, n, _h) in users.items()}

    def on_duty(names: tuple[str, ...], day: date) -> list[int]:
        ids = [users[n][0] for n in names if n in users and ((hired := users[n][2]) is None or hired <= day)]
        return ids or [users[names[0]][0]]

    kinds = [k for k, _ in type_weights]
    kind_weights = list(accumulate(w for _, w in type_weights))
    channels = [c for c, _ in channel_weights]
    channel_w = list(accumulate(w for _, w in channel_weights))
    per_day = all_units * per_unit / (today - start).days  # ten per unit of the company, lived-in units call
    counts: dict[str, int] = defaultdict(int)
    counters: dict[str, int] = {}
    # the last days (about 30 tickets, two days at least) hold the open states: each one at least once, then some
    recent = now - timedelta(days=max(2, math.ceil(30 / per_day))) if per_day else now
    wanted = [S.PENDING, S.DISPATCHED, S.IN_HAND, S.COMPLETED, S.AWAITING_REVISIT]
    next_id = first_ticket
    batch: dict[str, list[Any]] = defaultdict(list)
    day = start
    while day < today:
        weekday = 1.15 if day.weekday() == 0 else 0.8 if day.weekday() >= 5 else 1.0
        expected = per_day * weekday * rng.uniform(0.7, 1.3)
        n = int(expected) + (rng.random() < expected - int(expected))
        desk = on_duty(("service", "service", "service2", "clerk", "manager"), day)
        engineers = on_duty(("engineer", "engineer2"), day)
        front = on_duty(("service", "service2"), day)
        manager = users["manager"][0]
        plans = []
        for _ in range(n):
            kind = rng.choices(kinds, cum_weights=kind_weights)[0]
            night = rng.random() < 0.06
            hour = rng.randrange(0, 7) if night else rng.randrange(7, 22)
            received = datetime.combine(day, time(hour, rng.randrange(60), rng.randrange(60)), SHANGHAI)
            if received >= now:
                continue
            plans.append((received, kind, night))
        plans.sort()
        for received, kind, night in plans:
            target = None
            if received >= recent:
                target = next((w for w in wanted if _can_end_in(w, kind, policy)), None)
                if target is None and rng.random() < 0.4:
                    target = rng.choice((S.PENDING, S.DISPATCHED, S.IN_HAND, S.IN_HAND))
            unit_id, estate_id = rng.choice(units)
            prefix = f"{PREFIX[kind]}{day:%Y%m%d}"
            counters[prefix] = counters.get(prefix, 0) + 1
            unit_kind, amount, needs_revisit = policy[kind]
            deadline = (received + timedelta(hours=amount) if unit_kind == "hours"
                        else cal.deadline_after(received, amount))
            department = "工程" if kind == "报修" else rng.choice(("客服", "保洁", "安保", "客服"))
            assignee = rng.choice(engineers) if department == "工程" else rng.choice(front)
            responder = rng.choice(desk)
            content = rng.choice(templates[kind])
            category = categories_of.get(content)
            channel = "夜间值班" if night else rng.choices(channels, cum_weights=channel_w)[0]
            t: dict[str, Any] = {
                "id": next_id, "number": f"{prefix}-{counters[prefix]:03d}", "ticket_type": kind, "channel": channel,
                "estate_id": estate_id, "unit_id": unit_id, "caller_name": "", "caller_phone": "", "content": content,
                "category_id": category_ids.get(category) if category else None,
                "urgency": "紧急" if kind == "报修" and rng.random() < 0.05 else "普通",
                "received_at": received, "entered_at": received + timedelta(hours=8 if night else 0, minutes=2),
                "entered_by": responder, "first_responder_id": responder, "department": department,
                "assignee_id": None, "status": S.PENDING, "deadline_at": deadline, "handled_at": None,
                "completed_at": None, "closed_at": None, "cancelled_at": None, "reopen_count": 0,
                "needs_revisit": needs_revisit, "paid": False, "cost": 0, "ruling": "", "ruling_staff_id": None,
                "ruled_at": None, "version": 1}
            next_id += 1
            steps = _life(rng, t, now, cal, responder, assignee, manager, front, staff, night, name_of, target)
            if target in wanted and t["status"] == target:
                wanted.remove(target)
            _emit(batch, t, steps, username, name_of)
        day += timedelta(days=1)
        if len(batch["tickets"]) >= 20000 or day >= today:
            _flush(batch, counts)
    with unit_of_work() as uow:
        s = uow.session
        counts["counters"] = bulk.write(s, "counters", ({"name": f"ticket:{k}", "value": v}
                                                        for k, v in counters.items()))
        bulk.fix_sequences(s, ("tickets",))
        uow.commit()
    return dict(counts)


Step = tuple[str, str, str, datetime, int, str]  # kind, status from, status to, at, user id, note


def _can_end_in(status: str, kind: str, policy: dict[str, tuple[str, int, bool]]) -> bool:
    """Whether a ticket of the type can be left in `status` (已完成 only without a revisit, 待回访 only with one)."""
    if status == S.COMPLETED:
        return not policy[kind][2]
    if status == S.AWAITING_REVISIT:
        return policy[kind][2]
    return True


def _life(rng: random.Random, t: dict[str, Any], now: datetime, cal: WorkCalendar, responder: int, assignee: int,
          manager: int, front: list[int], staff: list[int], night: bool, name_of: dict[int, str],
          target: str | None = None) -> list[Step]:
    """The steps of one ticket up to now, or up to `target` (an open state a recent ticket is left in); sets its
    status and times as the workflow would have left them."""
    received: datetime = t["received_at"]
    age = now - received
    note = f"{t['channel']}受理" + (f"（{name_of[responder]}于事后补录）" if night else "")
    steps: list[Step] = [("create", "", S.PENDING, received, responder, note)]
    fresh = age < timedelta(hours=1) or (age < timedelta(hours=6) and rng.random() < 0.3)
    if fresh or target == S.PENDING or age < timedelta(minutes=30):
        return steps
    if target is not None:
        return _open(rng, t, steps, now, cal, responder, assignee, target)
    dispatched = received + timedelta(minutes=rng.randrange(5, 40))
    t["assignee_id"] = assignee
    steps.append(("dispatch", S.PENDING, S.DISPATCHED, dispatched, responder, ""))
    t["status"] = S.DISPATCHED
    if rng.random() < CANCEL_ODDS:
        at = dispatched + timedelta(minutes=rng.randrange(10, 300))
        if at < now:
            t["status"], t["cancelled_at"] = S.CANCELLED, at
            steps.append(("cancel", S.DISPATCHED, S.CANCELLED, at, responder, rng.choice(CANCEL_REASONS)))
        return steps
    if age < timedelta(hours=3) or (age < timedelta(hours=12) and rng.random() < 0.3):
        return steps
    accepted = dispatched + timedelta(minutes=rng.randrange(10, 60))
    steps.append(("accept", S.DISPATCHED, S.IN_HAND, accepted, assignee, ""))
    t["status"] = S.IN_HAND
    if rng.random() < STUCK_ODDS:
        return steps  # forgotten in hand: overdue
    limit = t["deadline_at"] - received
    took = limit * (rng.uniform(0.1, 0.9) if rng.random() < 0.92 else rng.uniform(1.05, 1.8))
    done_at = max(received + took, accepted + timedelta(minutes=5))
    if not (done_at < now - timedelta(hours=2) and age > timedelta(days=1)):
        return steps
    complaint = t["ticket_type"] == "投诉"
    if complaint:
        t["handled_at"] = received + timedelta(hours=rng.uniform(1, 20) if rng.random() < 0.9
                                               else rng.uniform(26, 40))
        done_at = max(done_at, t["handled_at"])
    _complete(rng, t, steps, done_at, assignee)
    if t["needs_revisit"]:
        _revisits(rng, t, steps, now, cal, front, manager, assignee)
    elif now - done_at < timedelta(days=2) and rng.random() < 0.5:
        pass  # completed, the desk has not closed it yet
    else:
        at = done_at + timedelta(minutes=rng.randrange(5, 120))
        if at < now:
            t["status"], t["closed_at"] = S.CLOSED, at
            steps.append(("close", S.COMPLETED, S.CLOSED, at, responder, ""))
    if complaint and t["handled_at"] is not None:
        ruled = t["handled_at"] + timedelta(days=1)
        if ruled < now:
            effective = rng.random() < 0.35
            t["ruling"], t["ruled_at"] = ("有效" if effective else "无效"), ruled
            t["ruling_staff_id"] = rng.choice(staff) if effective else None
            status = next((to for _k, _f, to, at, _u, _n in reversed(steps) if at <= ruled), t["status"])
            steps.append(("rule", status, status, ruled, manager, f"定性为{t['ruling']}"))
    return steps


def _open(rng: random.Random, t: dict[str, Any], steps: list[Step], now: datetime, cal: WorkCalendar,
          responder: int, assignee: int, target: str) -> list[Step]:
    """A recent ticket taken as far as `target` and left there, its steps spaced within the time it has had."""
    received: datetime = t["received_at"]
    room = (now - received) / 6
    t["assignee_id"] = assignee
    dispatched = received + room * rng.uniform(0.2, 1)
    steps.append(("dispatch", S.PENDING, S.DISPATCHED, dispatched, responder, ""))
    t["status"] = S.DISPATCHED
    if target == S.DISPATCHED:
        return steps
    accepted = dispatched + room * rng.uniform(0.2, 1)
    steps.append(("accept", S.DISPATCHED, S.IN_HAND, accepted, assignee, ""))
    t["status"] = S.IN_HAND
    if target == S.IN_HAND:
        return steps
    done = accepted + room * rng.uniform(0.2, 1)
    if t["ticket_type"] == "投诉":
        t["handled_at"] = done
    _complete(rng, t, steps, done, assignee)
    if t["needs_revisit"]:
        t["status"] = S.AWAITING_REVISIT
        steps.append(("revisit_due", S.COMPLETED, S.AWAITING_REVISIT, done, assignee, ""))
        t.setdefault("_revisits", []).append({"ticket_id": t["id"], "due_at": _revisit_due(t, cal), "done_at": None,
                                              "method": "", "result": "", "comment": "", "done_by": None,
                                              "version": 1})
    return steps


def _complete(rng: random.Random, t: dict[str, Any], steps: list[Step], at: datetime, assignee: int) -> None:
    note = ""
    if t["ticket_type"] == "报修" and rng.random() < PAID_ODDS:
        cost = rng.choice((30, 50, 80, 120, 200, 350))
        t["paid"], t["cost"] = True, cost * 100
        note = f"有偿，费用 ¥{Decimal(cost):,.2f}"
    t["completed_at"] = at
    t["status"] = S.COMPLETED
    steps.append(("complete", S.IN_HAND, S.COMPLETED, at, assignee, note))


def _revisit_due(t: dict[str, Any], cal: WorkCalendar) -> datetime:
    completed: datetime = t["completed_at"]
    if t["ticket_type"] == "投诉":
        return cal.deadline_after(t["handled_at"] or completed, 3)
    return completed + timedelta(hours=24)


def _revisits(rng: random.Random, t: dict[str, Any], steps: list[Step], now: datetime, cal: WorkCalendar,
              front: list[int], manager: int, assignee: int) -> None:
    t.setdefault("_revisits", [])
    for round_no in (1, 2):
        completed: datetime = t["completed_at"]
        due = _revisit_due(t, cal)
        t["status"] = S.AWAITING_REVISIT
        steps.append(("revisit_due", S.COMPLETED, S.AWAITING_REVISIT, completed, assignee, ""))
        visit: dict[str, Any] = {"ticket_id": t["id"], "due_at": due, "done_at": None, "method": "", "result": "",
                                 "comment": "", "done_by": None, "version": 1}
        t["_revisits"].append(visit)
        if rng.random() < REVISIT_FORGOTTEN_ODDS:
            return
        done = due - (due - completed) * rng.uniform(0.1, 0.9) if rng.random() < 0.9 else \
            due + timedelta(hours=rng.uniform(2, 30))
        if not (done < now and (now - completed > timedelta(days=4) or rng.random() < 0.5)):
            return
        result = rng.choices(("满意", "基本满意", "不满意"), cum_weights=(80, 95, 100))[0] if round_no == 1 else \
            rng.choice(("满意", "基本满意"))
        method = rng.choice(("电话", "电话", "上门"))
        comment = rng.choice(UNHAPPY) if result == "不满意" else ""
        who = rng.choice(front)
        visit.update(done_at=done, method=method, result=result, comment=comment, done_by=who, version=2)
        t["status"], t["closed_at"] = S.CLOSED, done
        steps.append(("revisit", S.AWAITING_REVISIT, S.CLOSED, done, who,
                      f"{method}回访：{result}" + (f"，{comment}" if comment else "")))
        if result != "不满意" or rng.random() >= REOPEN_ODDS:
            return
        reopened = done + timedelta(hours=rng.uniform(1, 6))
        again = reopened + timedelta(hours=rng.uniform(4, 30))
        if again >= now - timedelta(hours=2):
            return
        t["reopen_count"] += 1
        t["status"], t["completed_at"], t["closed_at"] = S.IN_HAND, None, None
        steps.append(("reopen", S.CLOSED, S.IN_HAND, reopened, manager, f"回访不满意：{comment}，安排返修"))
        _complete(rng, t, steps, again, assignee)


def _emit(batch: dict[str, list[Any]], t: dict[str, Any], steps: list[Step], username: dict[int, str],
          name_of: dict[int, str]) -> None:
    """The ticket's rows: the ticket, its events, its revisits, and an audit row per step but 待回访."""
    tid = t["id"]
    visits = t.pop("_revisits", [])
    t["version"] = len([s for s in steps if s[0] not in ("create", "revisit_due")]) + 1
    row = dict(t)
    for key in ("received_at", "entered_at", "deadline_at", "handled_at", "completed_at", "closed_at",
                "cancelled_at", "ruled_at"):
        if row[key] is not None:
            row[key] = bulk.utc(row[key])
    batch["tickets"].append(row)
    for v in visits:
        v["due_at"] = bulk.utc(v["due_at"])
        if v["done_at"] is not None:
            v["done_at"] = bulk.utc(v["done_at"])
        batch["revisits"].append(v)
    number, assignee = t["number"], t["assignee_id"]
    assignee_json = "null" if assignee is None else str(assignee)
    for n, (kind, before, after, at, user, note) in enumerate(steps):
        utc_at = bulk.utc(at)
        batch["ticket_events"].append((tid, utc_at, user, name_of[user], kind, before, after, note))
        if kind == "revisit_due":
            continue
        # as services.tickets.workflow writes them (json.dumps, sort_keys), formatted here for speed
        if kind == "create":
            old, new = None, (f'{{"deadline_at": "{t["deadline_at"].isoformat()}", "number": "{number}", '
                              f'"received_at": "{t["received_at"].isoformat()}", "type": "{t["ticket_type"]}", '
                              f'"unit_id": {t["unit_id"]}}}')
        elif kind == "revisit":
            method, result = note.split("回访：", 1)
            old = f'{{"status": "{before}"}}'
            new = f'{{"method": "{method}", "result": "{result.split("，")[0]}", "status": "{after}"}}'
        elif kind == "rule":
            staff = t["ruling_staff_id"]
            old = '{"ruling": "", "ruling_staff_id": null}'
            new = f'{{"ruling": "{t["ruling"]}", "ruling_staff_id": {"null" if staff is None else staff}}}'
        else:
            shown = steps[n + 1][2] if kind == "complete" and n + 1 < len(steps) and \
                steps[n + 1][0] == "revisit_due" else after
            if kind == "complete" and note.startswith("有偿"):
                old = f'{{"cost": "0.00", "paid": false, "status": "{before}"}}'
                new = (f'{{"assignee_id": {assignee_json}, "cost": "{bulk.yuan(t["cost"])}", '
                       f'"note": {bulk.quoted(note)}, "paid": true, "status": "{shown}"}}')
            else:
                old = f'{{"status": "{before}"}}'
                new = f'{{"assignee_id": {assignee_json}, "note": {bulk.quoted(note)}, "status": "{shown}"}}'
        batch["audit_log"].append((utc_at, user, username[user], kind, "tickets", str(tid), old, new))


EVENT_COLUMNS = ("ticket_id", "at", "actor_user_id", "actor_name", "kind", "status_from", "status_to", "note")


def _flush(batch: dict[str, list[Any]], counts: dict[str, int]) -> None:
    with unit_of_work() as uow:
        s = uow.session
        for name, columns in (("tickets", None), ("ticket_events", EVENT_COLUMNS), ("revisits", None),
                              ("audit_log", bulk.AUDIT_COLUMNS)):
            counts[name] += bulk.write(s, name, batch[name], columns)
        uow.commit()
    batch.clear()
