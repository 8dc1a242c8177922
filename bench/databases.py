"""The databases the bench measures: the ~800-unit demo ("small") and the large estate (`--units`, 20,000 by
default), built by `propdesk demo` code with fixed seeds.

SQLite: built once per fingerprint (the demo builder's and the schema's source, and the size) into a cache
directory, then copied for each run, so the bench does not spend minutes rebuilding what has not changed.
PostgreSQL (or MariaDB): BENCH_DATABASE_URL names a server and a database name; the bench uses the databases
`<name>_small` and `<name>_large<units>` there, rebuilt when their fingerprint (kept in a one-row table
`bench_fingerprint`) differs.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from bench.common import use_database

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("PROPDESK_BENCH_CACHE", Path.home() / ".cache" / "propdesk-bench"))
ADMIN_PASSWORD = "bench-admin-pass-1"
DEMO_PASSWORD = "bench-demo-pass-1"


@dataclass(frozen=True)
class Database:
    scale: str  # "small" or "large"
    url: str
    path: Path | None  # the SQLite file (None on a server)
    units: int


def fingerprint(scale: str, units: int | None) -> str:
    h = hashlib.sha256(f"{scale}:{units}".encode())
    sources = sorted((ROOT / "services" / "demo").glob("*.py")) + sorted((ROOT / "db").rglob("*.py"))
    for path in sources:
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def _build(url: str, scale: str, units: int | None) -> None:
    from db import migrate
    from db.engine import dispose_all
    from services.admin import system
    from services.demo import builder as demo

    use_database(url)
    migrate.upgrade(url)
    system.init(admin_password=ADMIN_PASSWORD)
    if scale == "small":
        demo.build_demo(scale="small", demo_password=DEMO_PASSWORD)
    else:
        demo.build_demo(scale="large", demo_password=DEMO_PASSWORD, units=units)
    dispose_all()


def sqlite_database(scale: str, units: int | None, tmp: Path) -> Database:
    """A fresh copy (in `tmp`) of the cached build; built first when the cache has none for this fingerprint."""
    CACHE.mkdir(parents=True, exist_ok=True)
    name = f"{scale}{units or ''}-{fingerprint(scale, units)}.db"
    cached = CACHE / name
    if not cached.exists():
        for old in CACHE.glob(f"{scale}{units or ''}-*.db"):
            old.unlink()
        building = CACHE / f"{name}.building"
        building.unlink(missing_ok=True)
        print(f"  building the {scale} database{f' ({units:,} units)' if units else ''} (cached in {CACHE})",
              flush=True)
        _build(f"sqlite:///{building}", scale, units)
        building.rename(cached)
    copy = tmp / f"{scale}.db"
    shutil.copy(cached, copy)
    url = f"sqlite:///{copy}"
    use_database(url)
    return Database(scale, url, copy, units or 0)


def server_database(base_url: str, scale: str, units: int | None) -> Database:
    """`<database>_<scale>` on the server of `base_url`, rebuilt when its fingerprint differs."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    url = make_url(base_url)
    name = f"{url.database or 'propdesk_bench'}_{scale}{units or ''}"
    target = url.set(database=name).render_as_string(hide_password=False)
    want = fingerprint(scale, units)
    admin = create_engine(url.set(database="postgres" if url.get_backend_name() == "postgresql" else None),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        exists = c.execute(text("SELECT 1 FROM pg_database WHERE datname = :n") if url.get_backend_name() ==
                           "postgresql" else text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :n"),
                           {"n": name}).first()
    have = None
    if exists:
        engine = create_engine(target)
        try:
            with engine.connect() as c:
                have = c.execute(text("SELECT value FROM bench_fingerprint")).scalar()
        except Exception:  # no such table: a database from elsewhere, or a build cut short
            have = None
        finally:
            engine.dispose()
    if have != want:
        with admin.connect() as c:
            if exists:
                c.execute(text(f'DROP DATABASE "{name}"' if url.get_backend_name() == "postgresql"
                               else f"DROP DATABASE `{name}`"))
            c.execute(text(f'CREATE DATABASE "{name}"' if url.get_backend_name() == "postgresql"
                           else f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
        print(f"  building the {scale} database on {url.get_backend_name()} ({name})", flush=True)
        _build(target, scale, units)
        engine = create_engine(target)
        with engine.begin() as c:
            c.execute(text("CREATE TABLE bench_fingerprint (value VARCHAR(32))"))
            c.execute(text("INSERT INTO bench_fingerprint (value) VALUES (:v)"), {"v": want})
        engine.dispose()
    admin.dispose()
    use_database(target)
    return Database(scale, target, None, units or 0)


def database(scale: str, units: int | None, tmp: Path) -> Database:
    server = os.environ.get("BENCH_DATABASE_URL")
    return server_database(server, scale, units) if server else sqlite_database(scale, units, tmp)
