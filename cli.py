"""`propdesk`: the command line for cron jobs and administrators.

Every command acts as the system actor and goes through the same services as the
console, so the rules and the audit trail are the same. Errors print one Chinese
line to stderr and exit 1; no traceback for a refusal the user can act on.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import unicodedata
from dataclasses import asdict
from datetime import datetime
from decimal import Decimal
from pathlib import Path

from services import kpi
from services.admin import golive, integrity, system
from services.appraisal import scorecards as appraisal
from services.appraisal import staff_import
from services.demo import builder as demo
from services.estate import asset_import as imports
from services.fees import arrears_import as fee_import
from services.fees import billing as fees
from services.platform import users
from services.platform.auth import ROLE_LABELS, SYSTEM_ACTOR, Role
from services.platform.clock import SHANGHAI
from services.platform.errors import DomainError
from services.tickets import ticket_import


def _cmd_init(_args) -> None:
    generated = system.init(admin_password=os.environ.get("PROPDESK_ADMIN_PASSWORD") or None)
    print("数据库已迁移到最新版本。")
    if generated:
        print(f"已创建管理员 admin，初始密码（只显示这一次，首次登录后须修改）：{generated}")


def _cmd_demo(args) -> None:
    if not system.is_empty():
        print("数据库中已有小区数据，跳过演示数据。")
        return
    password = os.environ.get("PROPDESK_DEMO_PASSWORD") or None
    scale = "large" if args.units is not None else args.scale  # --units N sizes the large demo
    if args.units is not None and args.units < demo.MIN_LARGE_UNITS:
        raise DomainError(f"--units 至少为 {demo.MIN_LARGE_UNITS}")
    started = datetime.now()
    created = demo.build_demo(scale=scale, demo_password=password, units=args.units,
                              report=lambda text: print(text, flush=True))
    seconds = (datetime.now() - started).total_seconds()
    if scale == "large":
        print(f"用时 {seconds:.0f} 秒。各表行数：")
        for table, rows in demo.row_counts().items():
            print(f"  {table:<20} {rows:>10,}")
    print(f"已生成演示小区（{scale}）。演示用户：")
    for username, pw in created.items():
        shown = f"{password}（取自 PROPDESK_DEMO_PASSWORD）" if password else pw
        print(f"  {username:<10} 密码 {shown}")


def _cmd_user(args) -> None:
    if args.action == "add":
        _, pw = users.add_user(actor=SYSTEM_ACTOR, username=args.username, display_name=args.name or args.username,
                               role=args.role, password=args.password)
        print(f"已创建用户 {args.username}（{ROLE_LABELS[Role(args.role)]}）" +
              ("" if args.password else f"，初始密码：{pw}（首次登录后须修改）"))
    elif args.action == "reset":
        pw = users.reset_password(actor=SYSTEM_ACTOR, username=args.username, password=args.password)
        print(f"已重置 {args.username} 的密码" + ("" if args.password else f"：{pw}") + "（下次登录须修改）")
    elif args.action == "disable":
        users.set_active(actor=SYSTEM_ACTOR, username=args.username, active=False)
        print(f"已停用用户 {args.username}")
    elif args.action == "enable":
        users.set_active(actor=SYSTEM_ACTOR, username=args.username, active=True)
        print(f"已启用用户 {args.username}")




def _cmd_kpi(args) -> None:
    try:
        period = kpi.Period.parse(args.period)
        as_of = datetime.fromisoformat(args.as_of) if args.as_of else None
    except ValueError as exc:
        raise DomainError(f"参数有误：{exc}") from None
    if as_of is not None and as_of.tzinfo is None:
        as_of = as_of.replace(tzinfo=SHANGHAI)
    figures = kpi.ticket_kpis(period, as_of=as_of)
    fee_figures = kpi.fee_kpis(period, as_of=as_of)
    if args.json:
        print(json.dumps({"period": period.label, **kpi.as_json_values(figures), **kpi.as_json_values(fee_figures)},
                         ensure_ascii=False, indent=2))
        return
    print(f"{period.label} 报事指标")
    for key, value in figures.items():
        shown = "—" if value is None else (f"{value * 100:.2f}%" if isinstance(value, Decimal) else str(value))
        print(f"  {kpi.TICKET_KPI_LABELS[key]:<8} {shown}")
    print(f"{period.label} 收费指标")
    for key, value in fee_figures.items():
        if value is None:
            shown = "—"
        elif key.endswith("_rate"):
            shown = f"{value * 100:.2f}%"
        else:
            shown = f"¥{value:,.2f}"
        print(f"  {kpi.FEE_KPI_LABELS[key]:<8} {shown}")


def _width(text: str) -> int:
    """Columns a text takes in a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _print_table(headers: list[str], rows: list[list[str]], *, right: set[int]) -> None:
    """A plain-text table with aligned columns (those in `right` aligned right)."""
    widths = [max(_width(str(r[i])) for r in [headers, *rows]) for i in range(len(headers))]
    for r in [headers, *rows]:
        cells = [(" " * (w - _width(c)) + c) if i in right else (c + " " * (w - _width(c)))
                 for i, (c, w) in enumerate(zip(map(str, r), widths, strict=True))]
        print("  ".join(cells).rstrip())


def _yuan(text: str) -> str:
    return f"¥{Decimal(text):,.2f}"


def _cmd_appraise(args) -> None:
    cards = appraisal.appraise(actor=SYSTEM_ACTOR, period=args.period)
    if args.json:
        print(json.dumps([asdict(c) for c in cards], ensure_ascii=False, indent=2))
        return
    period = kpi.Period.parse(args.period).label
    if not cards:
        print(f"{period} 没有需要考核的员工（参与考核、当月在职）。")
        return
    print(f"{period} 月度考核：共 {len(cards)} 人（草稿已按当前数据重算；已提交、已审批的不变）")
    _print_table(
        ["工号", "姓名", "岗位", "状态", "迟到", "考勤扣款", "奖惩扣款", "奖励", "总分"],
        [[c.staff_no, c.name, c.post, c.status, str(c.late_count), _yuan(c.attendance_deduction),
          _yuan(c.incident_deduction), _yuan(c.reward), c.score if c.score is not None else "—"]
         for c in cards],
        right={4, 5, 6, 7, 8})


def _cmd_bill(args) -> None:
    estate_id = fee_import.estate_id_by_name(args.estate) if args.estate else None
    where = f"（{args.estate}）" if args.estate else ""
    if args.dry_run:
        plan = fees.preview_billing(actor=SYSTEM_ACTOR, period=args.period, estate_id=estate_id)
        print(f"{plan.period}{where} 计费预览（未写入）：将新增应收 {len(plan.bills)} 张，合计 ¥{plan.total:,.2f}；"
              f"本期已有 {plan.existing} 张")
        _print_billing_notes(plan.not_billed_by_reason, len(plan.undated))
        return
    result = fees.run_billing(actor=SYSTEM_ACTOR, period=args.period, estate_id=estate_id)
    print(f"{result.period}{where} 计费完成：新增应收 {result.created} 张，合计 ¥{result.total:,.2f}"
          + (f"；预存抵扣 ¥{result.credit_used:,.2f}" if result.credit_used else "")
          + ("（本期账单已全部存在，未新增）" if result.created == 0 else ""))
    _print_billing_notes(result.not_billed_by_reason, len(result.undated))


def _print_billing_notes(not_billed: tuple[tuple[str, int], ...], undated: int) -> None:
    """Every unit left without a bill, counted by reason, and the ones billed without their 交房日期."""
    if not_billed:
        print(f"未计费房屋 {sum(n for _, n in not_billed)} 套：")
        for reason, n in not_billed:
            print(f"  {reason}：{n} 套")
    if undated:
        print(f"交房日期未填、按整月计费的房屋 {undated} 套（请在房屋档案中补填交房日期）")


def _cmd_check_setup(_args) -> int:
    """The go-live checklist; exit 1 while a line is 待处理, so a set-up script can wait on it."""
    lines = golive.setup_checklist(actor=SYSTEM_ACTOR)
    left = golive.pending(lines)
    print(f"上线检查：{left} 项待处理" if left else "上线检查：全部完成")
    # the long 情况 column last, so the short ones stay aligned in a narrow terminal
    _print_table(["状态", "检查项", "在哪里处理", "情况"],
                 [[line.status, line.label, f"/{line.page} → {line.tab}",
                   line.detail + (f"；{line.warning}" if line.warning else "")] for line in lines],
                 right=set())
    return 1 if left else 0


def _cmd_check(args) -> int:
    """数据检查: exit 1 naming each broken invariant, so cron or a restore drill can act on it."""
    report = integrity.check()
    c = report.counts
    scope = (f"收款 {c['payments']:,} 张、账单 {c['bills']:,} 笔、分配 {c['allocations']:,} 条、"
             f"退款单 {c['refunds']:,} 张；用时 {report.seconds:.1f} 秒")
    if report.ok:
        print(f"数据检查：全部通过（{len(report.checked)} 项；{scope}）")
    else:
        print(f"数据检查：{len(report.broken)} 项不通过（共 {len(report.checked)} 项；{scope}）")
        for finding in report.broken:
            print(f"  不通过  {finding.message}")
    if args.verbose:
        broken = {f.label for f in report.broken}
        for label in report.checked:
            if label not in broken:
                print(f"  通过    {label}")
    return 0 if report.ok else 1


def _cmd_backup(args) -> None:
    system.backup(Path(args.file))
    print(f"已备份到 {args.file}")


def _cmd_restore(args) -> None:
    if args.to:
        system.restore(Path(args.file), to=Path(args.to))
        print(f"已把备份 {args.file} 恢复到新文件 {args.to}（当前数据库未改动）。"
              f"检查它：DATABASE_URL=sqlite:///{Path(args.to).resolve()} propdesk check")
        return
    system.restore(Path(args.file))
    print(f"已从 {args.file} 恢复数据库")


def _cmd_export(args) -> None:
    data = system.export_table(args.table, args.format)
    Path(args.output).write_bytes(data)
    print(f"已导出 {args.table} 到 {args.output}")


class _Parser(argparse.ArgumentParser):
    """Usage mistakes get one Chinese line and exit 1, like every other refusal."""

    def error(self, message: str):
        self.exit(1, f"错误：命令参数有误（{message}）。运行 propdesk -h 查看用法。\n")


def _existing_file(name: str) -> Path:
    path = Path(name)
    if not path.is_file():
        raise DomainError(f"文件不存在：{path}")
    return path


def _run_import(preview, commit, *, layout: str, nothing: str, dry_run: bool) -> None:
    """The shared end of every `propdesk import`: the layout found, the problems or the counts, then commit."""
    if layout:
        print(f"格式：{layout}（工作表“{preview.sheet}”）")
    if preview.problems:
        print(f"发现 {len(preview.problems)} 个问题（行号按 Excel 显示）：")
        for problem in preview.problems:
            print(f"  {problem}")
        raise DomainError(f"文件有 {len(preview.problems)} 个问题，未导入任何{nothing}；请改正后重新导入")
    if dry_run:
        print("试导入（--dry-run），未写入任何数据。将会：" + preview.counts.summary())
        return
    counts = commit(actor=SYSTEM_ACTOR, preview=preview)
    print("已导入。" + counts.summary())


def _delivered_on(text: str) -> str:
    """--delivered-on, refused while parsing the arguments (a wrong date is a usage mistake, not a file problem)."""
    problem = imports.delivery_problem(text)
    if problem:
        raise argparse.ArgumentTypeError(problem)  # argparse names the option in front of it
    return text


def _cmd_import_assets(args) -> None:
    preview = imports.preview_import(actor=SYSTEM_ACTOR, source=_existing_file(args.file), estate=args.estate or "",
                                     delivered_on=args.delivered_on)
    _run_import(preview, imports.commit_import, layout=preview.layout_label if preview.layout else "",
                nothing="数据", dry_run=args.dry_run)


def _cmd_import_tickets(args) -> None:
    preview = ticket_import.preview_ticket_import(actor=SYSTEM_ACTOR, source=_existing_file(args.file))
    _run_import(preview, ticket_import.commit_ticket_import, layout="历史工单登记表" if preview.sheet else "",
                nothing="工单", dry_run=args.dry_run)


def _cmd_import_arrears(args) -> None:
    preview = fee_import.preview_arrears_import(actor=SYSTEM_ACTOR, source=_existing_file(args.file),
                                                estate=args.estate or "")
    _run_import(preview, fee_import.commit_arrears_import, layout=preview.layout_label if preview.layout else "",
                nothing="账单", dry_run=args.dry_run)


def _cmd_import_staff(args) -> None:
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=_existing_file(args.file),
                                                create_missing=args.create_missing)
    _run_import(preview, staff_import.commit_staff_import, layout="员工档案" if preview.sheet else "",
                nothing="员工", dry_run=args.dry_run)


def _cmd_import_attendance(args) -> None:
    preview = staff_import.preview_attendance_import(actor=SYSTEM_ACTOR, source=_existing_file(args.file))
    _run_import(preview, staff_import.commit_attendance_import, layout="考勤表" if preview.sheet else "",
                nothing="考勤", dry_run=args.dry_run)


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="propdesk", description="PropDesk 物业服务中心控制台 命令行")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("init", help="迁移数据库并创建管理员 admin（密码取自 PROPDESK_ADMIN_PASSWORD，否则随机生成）")
    s.set_defaults(func=_cmd_init)

    s = sub.add_parser("demo", help="在空数据库上生成演示小区和每个角色一个演示用户")
    s.add_argument("--scale", choices=("small", "large"), default="small")
    s.add_argument("--units", type=int, help="大规模演示的房屋数（默认约 20,000；同样结构按比例缩小，至少 100）")
    s.set_defaults(func=_cmd_demo)

    s = sub.add_parser("user", help="用户管理：add / reset / disable / enable")
    s.add_argument("action", choices=("add", "reset", "disable", "enable"))
    s.add_argument("username")
    s.add_argument("--role", choices=[r.value for r in Role], default=Role.SERVICE.value)
    s.add_argument("--name", help="姓名")
    s.add_argument("--password", help="不填则随机生成")
    s.set_defaults(func=_cmd_user)

    s = sub.add_parser("kpi", help="某月的管理指标（报事和收费）；--json 输出给程序读取")
    s.add_argument("--period", required=True, help="YYYY-MM")
    s.add_argument("--as-of", help="取数时点（ISO 时间，默认现在；不带时区按北京时间）")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_cmd_kpi)

    s = sub.add_parser("bill", help="生成某月的应收账单（计费）；已生成的不会重复生成")
    s.add_argument("--period", required=True, help="计费期间 YYYY-MM")
    s.add_argument("--estate", help="只计这个小区（名称或编码）；不填则所有小区")
    s.add_argument("--dry-run", action="store_true", help="只预览：列出将新增的应收和未计费的房屋（按原因计数），不写入")
    s.set_defaults(func=_cmd_bill)

    s = sub.add_parser("appraise", help="生成某月的考核表草稿（已提交、已审批的不变）并列出每人的迟到、扣款、奖励和总分；"
                                        "--json 输出给程序读取")
    s.add_argument("--period", required=True, help="考核月份 YYYY-MM")
    s.add_argument("--json", action="store_true")
    s.set_defaults(func=_cmd_appraise)

    s = sub.add_parser("check-setup", help="上线检查：逐项列出已完成和待处理的设置（公司名称、小区、收费项目、房屋、业主……）；"
                                           "有待处理项时退出码为 1")
    s.set_defaults(func=_cmd_check_setup)

    s = sub.add_parser("check", help="数据检查：收款分配、账单已缴、预存台账、收据号和退款单号连续、收费单据的操作日志、"
                                     "账单缴费户、版本号；有不通过项时逐项列出并以退出码 1 结束")
    s.add_argument("-v", "--verbose", action="store_true", help="同时列出通过的各项")
    s.set_defaults(func=_cmd_check)

    s = sub.add_parser("backup", help="在线备份 SQLite 数据库到文件")
    s.add_argument("file")
    s.set_defaults(func=_cmd_backup)

    s = sub.add_parser("restore", help="从备份文件恢复 SQLite 数据库（请先停止控制台）；--to 则恢复到一个新文件，当前数据库不动")
    s.add_argument("file")
    s.add_argument("--to", metavar="NEW_FILE", help="恢复到这个新的 SQLite 文件（已存在则拒绝），用于检查备份或迁移")
    s.set_defaults(func=_cmd_restore)

    s = sub.add_parser("import", help="从 Excel 导入资料")
    what = s.add_subparsers(dest="what", required=True)
    a = what.add_parser("assets", help="导入房屋和人员：本系统的导入模板，或 HC小区管理系统 导出的“资产信息”表")
    a.add_argument("file", help=".xlsx 文件")
    a.add_argument("--estate", help="小区名称（HC 资产信息表必填；模板中小区列为空的行也用它），不存在则新建")
    a.add_argument("--delivered-on", type=_delivered_on, metavar="YYYY-MM-DD",
                   help="统一的交房日期：填给已交房（已入住、出租、装修中、已交房未入住，或有过业主的空置）却没有交房日期的房屋；"
                        "文件中或系统中已有的交房日期不会被改；不能晚于今天")
    a.add_argument("--dry-run", action="store_true", help="只检查并显示将要做的变更，不写入")
    a.set_defaults(func=_cmd_import_assets)
    a = what.add_parser("tickets", help="导入历史工单登记表（报修、投诉、咨询等，含处理和回访），重复导入不会重复新增")
    a.add_argument("file", help=".xlsx 文件")
    a.add_argument("--dry-run", action="store_true", help="只检查并显示将要导入的工单，不写入")
    a.set_defaults(func=_cmd_import_tickets)
    a = what.add_parser("arrears", help="导入历史欠费：本系统的欠费导入模板，或 HC小区管理系统 的“房屋费用信息”表；"
                                        "重复导入不会重复新增")
    a.add_argument("file", help=".xlsx 文件")
    a.add_argument("--estate", help="小区名称（HC 房屋费用信息表没有小区列，系统中有多个小区时必填；模板中小区列为空的行也用它）")
    a.add_argument("--dry-run", action="store_true", help="只检查并显示将要导入的账单，不写入")
    a.set_defaults(func=_cmd_import_arrears)

    a = what.add_parser("staff", help="导入员工档案（工号、姓名、部门、岗位、入职日期、基本工资）；已有工号更新，重复导入不产生变化")
    a.add_argument("file", help=".xlsx 文件")
    a.add_argument("--dry-run", action="store_true", help="只检查并显示将要新增和修改的员工，不写入")
    a.add_argument("--create-missing", action="store_true",
                   help="文件中有系统里没有的部门或岗位时一并新建（不加此项则列出这些名称，不导入）")
    a.set_defaults(func=_cmd_import_staff)
    a = what.add_parser("attendance", help="导入考勤（工号、姓名、日期、迟到分钟、早退分钟、缺勤、假别）；"
                                           "已有的日期更新，重复导入不产生变化")
    a.add_argument("file", help=".xlsx 文件")
    a.add_argument("--dry-run", action="store_true", help="只检查并显示将要新增和修改的考勤，不写入")
    a.set_defaults(func=_cmd_import_attendance)

    s = sub.add_parser("export", help="导出一张表为 CSV 或 Excel（residents = 房屋人员关系，含房屋编号和姓名）")
    s.add_argument("table", choices=list(system.EXPORT_NAMES))
    s.add_argument("--format", choices=("csv", "xlsx"), default="xlsx")
    s.add_argument("-o", "--output", required=True)
    s.set_defaults(func=_cmd_export)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command != "init":
        status = system.schema_status()
        if not status.ok:
            print(status.message, file=sys.stderr)
            return 1
    try:
        code = args.func(args)
    except DomainError as exc:
        print(f"错误：{exc.message}", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0  # most commands return nothing; check-setup returns its verdict


if __name__ == "__main__":
    sys.exit(main())
