"""Test fixtures: a fresh ledger per test on SQLite and, when EVIDENCE_TEST_PG_URL is set,
on PostgreSQL (a database of its own, cloned from a migrated template and dropped after).

Without EVIDENCE_TEST_PG_URL the PostgreSQL half of every database test is skipped with a
visible reason; .ci/run always sets it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

# The tests make hundreds of keys: each new key file costs scrypt N=2^10 here instead of 2^17
# (the files record their own cost, so they open all the same). tests/cli/test_key_files.py
# checks the real cost once, with the variable removed.
os.environ.setdefault("EVIDENCE_TEST_KDF_LOG2N", "10")
# A key agent the developer unlocked for their shift must not sign the tests' events: the tests'
# agents live in a runtime folder of their own (mkdtemp makes it 0700).
os.environ["XDG_RUNTIME_DIR"] = tempfile.mkdtemp(prefix="evidence-test-run-")
PG_URL = os.environ.get("EVIDENCE_TEST_PG_URL")
PG_SKIP = "PostgreSQL half skipped: set EVIDENCE_TEST_PG_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)"


def pg_url_for(dbname: str) -> str:
    """SQLAlchemy URL of database `dbname` on the test server."""
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=dbname)
    return url.render_as_string(hide_password=False)


def _pg_admin():
    import psycopg
    from sqlalchemy.engine import make_url

    url = make_url(PG_URL)
    return psycopg.connect(
        host=url.host or "127.0.0.1", port=url.port or 5432, user=url.username, password=url.password,
        dbname=url.database or "postgres", autocommit=True,
    )


def create_pg_database(template: str | None = None) -> str:
    name = f"evidence_t_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return name


def drop_pg_database(name: str) -> None:
    with _pg_admin() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    from ledger.db import make_engine
    from ledger.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def pg_template():
    if not PG_URL:
        yield None
        return
    from ledger.db import make_engine
    from ledger.migrate import upgrade

    name = create_pg_database()
    engine = make_engine(pg_url_for(name))
    upgrade(engine)
    engine.dispose()
    yield name
    drop_pg_database(name)


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip(PG_SKIP)
    return request.param


@pytest.fixture
def db_url(backend, tmp_path, request) -> str:
    """URL of a fresh, migrated, empty ledger on the test's backend."""
    if backend == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    name = create_pg_database(template=request.getfixturevalue("pg_template"))
    request.addfinalizer(lambda: drop_pg_database(name))
    return pg_url_for(name)


@pytest.fixture
def ledger(db_url):
    from ledger.db import open_ledger

    lg = open_ledger(db_url)
    yield lg
    lg.dispose()


@pytest.fixture
def cli(db_url):
    """Run `evidence --db <this test's ledger> ARGS...` through click's CliRunner."""
    from tests.helpers import CliHarness

    return CliHarness(db_url)


@pytest.fixture
def seeded(cli):
    """A ledger with officers of every role, locations, a case and one seizure (SZ-000001)."""
    from tests.helpers import seed_basic

    seed_basic(cli)
    return cli
