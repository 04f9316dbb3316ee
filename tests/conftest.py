"""Test fixtures: a fresh ledger per test on SQLite and, when EVIDENCE_TEST_PG_URL is set,
on PostgreSQL (a database of its own, cloned from a migrated template and dropped after).

Ledgers are built once per test session and copied for each test: the empty migrated schema,
and the `seeded` ledger (officers with their keys, locations, a case, a seizure), which is built
through the CLI once per backend and then copied (the SQLite file; on PostgreSQL `CREATE DATABASE
... TEMPLATE`), with a copy of its officers' key files for each test. Under pytest-xdist every
worker builds its own templates and databases, under names no other worker uses.

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
    # The worker's name (gw0, gw1, ... under pytest-xdist) and a random part: unique on the server.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"evidence_t_{worker}_{uuid.uuid4().hex[:12]}"
    with _pg_admin() as conn:
        if template:  # a template must have no other session; a test's CLI may have left one idle
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
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


@pytest.fixture(autouse=True)
def _messages_in_english():
    """Every test starts with the interface in English, whatever language a test before it in the
    same process (an xdist worker runs tests in any order) left selected."""
    from ledger import i18n

    i18n.use(i18n.DEFAULT_LANGUAGE)
    yield


BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "postgresql" and not PG_URL:
        pytest.skip(PG_SKIP)
    return request.param


class SeededTemplates:
    """The seeded ledger of each backend, built on first use in this session (this worker):
    its database (a file, or a PostgreSQL template database), its key folder, and the officers
    the harness has seen, from which every `seeded` test starts a copy."""

    def __init__(self, tmp_path_factory, request):
        self.tmp_path_factory = tmp_path_factory
        self.request = request
        self.built: dict[str, tuple[str, str, list[str]]] = {}  # backend -> (database, keys_home, officers)
        self.pg_names: list[str] = []

    def get(self, backend: str) -> tuple[str, str, list[str]]:
        if backend not in self.built:
            self.built[backend] = self._build(backend)
        return self.built[backend]

    def _build(self, backend: str) -> tuple[str, str, list[str]]:
        import sqlite3

        from tests.helpers import CliHarness, seed_basic

        folder = self.tmp_path_factory.mktemp(f"seeded-{backend}")
        keys_home = folder / "config"
        keys_home.mkdir()
        if backend == "sqlite":
            work = folder / "work.db"
            shutil.copyfile(self.request.getfixturevalue("sqlite_template"), work)
            cli = CliHarness(f"sqlite:///{work}", keys_home=str(keys_home))
            seed_basic(cli)
            # A consistent single file (the WAL folded in), whatever connections the CLI left.
            database = folder / "seeded.db"
            src, dst = sqlite3.connect(work), sqlite3.connect(database)
            try:
                src.backup(dst)
            finally:
                src.close()
                dst.close()
            return str(database), str(keys_home), list(cli.officers)
        name = create_pg_database(template=self.request.getfixturevalue("pg_template"))
        self.pg_names.append(name)
        cli = CliHarness(pg_url_for(name), keys_home=str(keys_home))
        seed_basic(cli)
        return name, str(keys_home), list(cli.officers)


@pytest.fixture(scope="session")
def seeded_templates(tmp_path_factory, request):
    templates = SeededTemplates(tmp_path_factory, request)
    yield templates
    for name in templates.pg_names:
        drop_pg_database(name)


@pytest.fixture
def db_url(backend, tmp_path, request) -> str:
    """URL of a fresh, migrated ledger on the test's backend: empty, or, for a test that uses
    `seeded`, a copy of the seeded ledger."""
    seeded = "seeded" in request.fixturenames
    if seeded:
        database = request.getfixturevalue("seeded_templates").get(backend)[0]
    if backend == "sqlite":
        path = tmp_path / "ledger.db"
        shutil.copyfile(database if seeded else request.getfixturevalue("sqlite_template"), path)
        return f"sqlite:///{path}"
    name = create_pg_database(template=database if seeded else request.getfixturevalue("pg_template"))
    request.addfinalizer(lambda: drop_pg_database(name))
    return pg_url_for(name)


@pytest.fixture
def ledger(db_url):
    from ledger.db import open_ledger

    lg = open_ledger(db_url)
    yield lg
    lg.dispose()


@pytest.fixture
def cli(db_url, backend, request):
    """Run `evidence --db <this test's ledger> ARGS...` through click's CliRunner (for a test
    that uses `seeded`, with a copy of the seeded ledger's officers' keys)."""
    from tests.helpers import CliHarness

    if "seeded" not in request.fixturenames:
        return CliHarness(db_url)
    _, keys_home, officers = request.getfixturevalue("seeded_templates").get(backend)
    import tempfile

    copy = shutil.copytree(keys_home, tempfile.mkdtemp(prefix="evidence-keys-"), dirs_exist_ok=True)
    harness = CliHarness(db_url, keys_home=str(copy))
    harness.initialized = True
    harness.officers = list(officers)
    return harness


@pytest.fixture
def seeded(cli):
    """A ledger with officers of every role, locations, a case and one seizure (SZ-000001),
    as `tests.helpers.seed_basic` makes it through the CLI: a copy of one built per session."""
    return cli
