"""A format 1 ledger made by the previous release (tests/data/format1-demo.db: the demo, 44
events, head below) moves to format 2 with `evidence db upgrade`: salts, the tree, and a
`log.upgraded` event; the head kept from a format 1 audit still proves its prefix. A broken
format 1 chain is not upgraded."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import MetaData, create_engine, text

from ledger.db import SCHEMA_REVISION, make_engine
from ledger.migrate import upgrade
from tests.cli.test_origin_binding import signed_over
from tests.helpers import CliHarness, rows

FORMAT_1 = Path(__file__).parent / "data" / "format1-demo.db"
FORMAT_1_HEAD = "44:a14eb967447f219f40b0778f2ae6aeb03bebc48d82c6e5548580c5626b53a34f"


def _copy_to_postgresql(sqlite_path: Path, pg_url: str) -> None:
    """The same format 1 ledger on PostgreSQL: migrated to the revision before format 2 on
    both sides, then every row copied over."""
    upgrade(make_engine(f"sqlite:///{sqlite_path}"), "0002")
    target = make_engine(pg_url)
    upgrade(target, "0002")
    source = create_engine(f"sqlite:///{sqlite_path}")
    meta = MetaData()
    meta.reflect(source)
    with source.connect() as src, target.begin() as dst:
        dst.execute(text("DELETE FROM chain_head"))
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            data = [dict(r._mapping) for r in src.execute(table.select())]
            if data:
                dst.execute(table.insert(), data)
    source.dispose()
    target.dispose()


@pytest.fixture
def format1_url(backend, tmp_path, request):
    path = tmp_path / "format1.db"
    shutil.copyfile(FORMAT_1, path)
    if backend == "sqlite":
        return f"sqlite:///{path}"
    from tests.conftest import create_pg_database, drop_pg_database, pg_url_for

    name = create_pg_database()
    request.addfinalizer(lambda: drop_pg_database(name))
    url = pg_url_for(name)
    _copy_to_postgresql(path, url)
    return url


def test_a_format_1_ledger_moves_to_format_2_and_keeps_its_head(format1_url):
    cli = CliHarness(format1_url)
    stale = cli("verify")
    assert stale.exit_code == 4 and "evidence db upgrade" in stale.stderr
    out = cli.ok("db", "upgrade", json_out=True)
    assert out["to"] == SCHEMA_REVISION
    assert out["format_upgrade"] == {"seq": 45, "format_1_head": FORMAT_1_HEAD}
    assert cli.ok("db", "upgrade", json_out=True)["format_upgrade"] is None  # running it again is harmless
    assert rows(format1_url, "SELECT count(*) AS n FROM events WHERE type = 'log.upgraded'")[0].n == 1
    assert out["signatures_required"] == {"seq": 46, "signatures_from": 47}
    assert out["signatures_name_origin"] is None  # nothing signed yet: the init that starts signing names it
    report = cli.ok("verify", "--expect-head", FORMAT_1_HEAD, json_out=True)
    assert report["ok"] and report["head_seq"] == 46
    assert all(len(r.salt) == 64 for r in rows(format1_url, "SELECT salt FROM events"))
    cli.ok("custody", "holdings", "DEMO-201")
    # the first signed event starts the ledger's identity (the harness's admin), then its officers
    new = cli.ok("officer", "add", "B-7777", "--name", "Nueva Oficial", "--role", "officer", json_out=True)
    assert new["seq"] == 48
    assert rows(format1_url, "SELECT signer FROM event_signatures WHERE seq = 48")[0].signer == "ADM-0001"
    body = rows(format1_url, "SELECT body FROM events WHERE seq = 48")[0].body
    assert body.startswith('{"actor":') and '"v":2}' in body
    # every signature names the ledger's origin, from the init that started signing (seq 47)
    assert rows(format1_url, "SELECT value FROM settings WHERE name = 'signatures_name_origin_from'")[0].value == "47"
    assert signed_over(format1_url, 47) == signed_over(format1_url, 48) == "v2"
    assert cli.ok("verify", "--expect-head", FORMAT_1_HEAD, json_out=True)["ok"]


def test_a_broken_format_1_chain_is_not_upgraded(tmp_path):
    path = tmp_path / "broken.db"
    shutil.copyfile(FORMAT_1, path)
    con = sqlite3.connect(path)
    con.execute("DROP TRIGGER events_no_update")
    con.execute("UPDATE events SET body = replace(body, '15000.00', '19000.00') WHERE seq = 15")
    con.commit()
    con.close()
    result = CliHarness(f"sqlite:///{path}")("db", "upgrade")
    assert result.exit_code == 3, result.stdout + result.stderr
    assert "seq 15" in result.stderr and "Traceback" not in result.stderr
    con = sqlite3.connect(path)
    assert con.execute("SELECT version_num FROM alembic_version").fetchone()[0] != SCHEMA_REVISION
    assert "salt" not in [r[1] for r in con.execute("PRAGMA table_info(events)")]
    con.close()
