"""The crash tests' database, built once per test module through the services (support.build_ledger_db: BILLED_UNITS
units billed by the run, ARREARS_UNITS more for the arrears import, prepaid credit on CREDIT_UNITS units that a run
or an import spends, twelve open bills on each of PAYING_UNITS units that the payments meet), the arrears workbook
(2024-01..08 of every unit of building 2), the asset workbook (a new estate of NEW_UNITS units, each with its
owner), and the worker process that forks, kills and reaps the operations.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.crash.support import Worker, build_ledger_db
from tests.factories import arrears_workbook, sheet_workbook, valid_id_number

# sized so that each operation takes 0.3-1 s on the test machine (about 0.4 s when it is idle)
BILLED_UNITS = 3000
ARREARS_UNITS = 200
ARREARS_MONTHS = 8
CREDIT_UNITS = 40
PAYING_UNITS = 30
NEW_UNITS = 500


@dataclass(frozen=True)
class CrashDb:
    path: Path
    cashier_id: int
    paying: tuple[int, ...]  # units with twelve open bills
    arrears_file: Path
    assets_file: Path


def _asset_rows() -> list[dict[str, object]]:
    rows = []
    for n in range(NEW_UNITS):
        floor, room = divmod(n, 10)
        body = f"1101051980{(n % 12) + 1:02d}{(n % 28) + 1:02d}{n % 1000:03d}"
        rows.append({"小区": "新建小区", "楼栋": str(1 + n // 100), "单元": "1", "房号": f"{floor + 1}{room + 1:02d}",
                     "楼层": floor + 1, "类型": "住宅", "户型": "三室两厅", "建筑面积": "89.50", "套内面积": "70.00",
                     "状态": "已入住", "交房日期": "2024-01-15", "姓名": f"业主{n:04d}", "性别": "男",
                     "手机号": f"139{n:08d}", "身份证号": valid_id_number(body), "人员类型": "个人", "身份": "业主",
                     "入住日期": "2024-02-01"})
    return rows


def _build(folder: Path) -> CrashDb:
    from services.estate.asset_import import TEMPLATE_COLUMNS

    path = folder / "crash.db"
    cashier_id, paying = build_ledger_db(path, billed=BILLED_UNITS, others=ARREARS_UNITS, credit=CREDIT_UNITS,
                                         paying=PAYING_UNITS)
    arrears = folder / "arrears.xlsx"
    arrears_workbook([{"小区": "测试小区", "房屋": f"2-1-R{n:05d}", "收费项目": "物业服务费（住宅）",
                       "期间": f"2024-{month:02d}", "金额": "196.90", "备注": "历史欠费"}
                      for n in range(1, ARREARS_UNITS + 1) for month in range(1, ARREARS_MONTHS + 1)], path=arrears)
    assets = folder / "assets.xlsx"
    sheet_workbook(_asset_rows(), headers=[h for h, _f, _help in TEMPLATE_COLUMNS], sheet="房屋人员", path=assets)
    return CrashDb(path, cashier_id, paying, arrears, assets)


@pytest.fixture(scope="module")
def crash_db(tmp_path_factory) -> CrashDb:
    return _build(tmp_path_factory.mktemp("crash"))


@pytest.fixture(scope="module")
def worker() -> Iterator[Worker]:
    w = Worker()
    yield w
    w.close()
