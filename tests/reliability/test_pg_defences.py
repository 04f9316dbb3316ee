"""The PostgreSQL database defends itself against an officer's own login (migration 0007,
docs/postgresql.md "What the database refuses"): it cannot change who it is (officers, keys,
login mappings, settings, locations: admins' tables), cannot store an event that does not
extend the chain, a signature outside its event's transaction, or move the chain head; the
CLI still works as every mapped login, and a refusal reaches the user as one sentence.
"""

from __future__ import annotations

import pytest

from tests.conftest import _pg_admin
from tests.helpers import ADMIN, GOOD_IMEI, CliHarness, seed_basic, snapshot
from tests.reliability.test_pg_roles import _connect, _url, roles  # noqa: F401 - the fixture


@pytest.fixture
def logins(roles):  # noqa: F811 - the imported fixture
    """The ledger of `roles`, started and seeded by the admin's login before any mapping, then
    one login each for the admin, B-1001 (officer) and C-3001 (custodian), mapped to badges."""
    tag = roles["app"].rsplit("_", 1)[1]
    names = {ADMIN: f"evidence_adm_{tag}", "B-1001": f"evidence_b1001_{tag}", "C-3001": f"evidence_c3001_{tag}"}
    with _pg_admin() as conn:
        for login in names.values():
            conn.execute(f'CREATE ROLE "{login}" LOGIN IN ROLE "{roles["app"]}"')
    try:
        keys_home = roles["cli"].keys_home
        as_login = {badge: CliHarness(_url(login, roles["db"]), keys_home=keys_home) for badge, login in names.items()}
        admin = as_login[ADMIN]
        seed_basic(admin)
        for badge, login in names.items():
            admin.ok("officer", "login", badge, login, "--by", ADMIN)
        yield {**roles, "names": names, "as": as_login}
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP OWNED BY {", ".join(f"{chr(34)}{n}{chr(34)}" for n in names.values())}')
            for login in names.values():
                conn.execute(f'DROP ROLE IF EXISTS "{login}"')


def _tables(db_url: str) -> dict:
    return snapshot(db_url)


# -- admins' tables ------------------------------------------------------------------------
ADMIN_TABLE_WRITES = [
    "UPDATE officer_logins SET badge = 'C-3001' WHERE role_name = '{me}'",
    "UPDATE officer_logins SET badge = 'ADM-0001' WHERE role_name = '{me}'",
    "INSERT INTO officer_logins (role_name, badge, seq) VALUES ('{me}_2', 'ADM-0001', 1)",
    "UPDATE officers SET role = 'admin' WHERE badge = 'B-1001'",
    "UPDATE officers SET name = 'Otra' WHERE badge = 'C-3001'",
    "INSERT INTO officers (badge, name, role, added_seq) VALUES ('X-0666', 'Nadie', 'admin', 1)",
    "UPDATE officer_keys SET public_key = repeat('ab', 32) WHERE badge = 'C-3001'",
    "UPDATE officer_keys SET revoked_seq = 1, revoked_reason = 'x' WHERE badge = 'ADM-0001'",
    "INSERT INTO officer_keys (key_id, badge, public_key, added_seq) VALUES ('00ff00ff00ff00ff', 'C-3001', "
    "repeat('cd', 32), 1)",
    "UPDATE settings SET value = '999999'",
    "INSERT INTO settings (name, value, seq) VALUES ('anything', 'x', 1)",
    "UPDATE locations SET name = 'Otro' WHERE code = 'ER-AQP'",
    "INSERT INTO locations (code, name, kind, added_seq) VALUES ('ER-X', 'X', 'vault', 1)",
]


@pytest.mark.parametrize("statement", ADMIN_TABLE_WRITES)
def test_an_officers_login_cannot_write_the_admins_tables(logins, statement):
    import psycopg

    me = logins["names"]["B-1001"]
    before = _tables(logins["cli"].db_url)
    with _connect(me, logins["db"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege) as refused:
        conn.execute(statement.format(me=me))
    assert f"database login {me} (badge B-1001) is not an admin login" in str(refused.value)
    assert _tables(logins["cli"].db_url) == before


@pytest.mark.parametrize("statement", ADMIN_TABLE_WRITES[:6])
def test_the_admins_login_changes_them_only_with_an_event(logins, statement):
    """By hand, even the admin's login changes nothing there without the event that says so."""
    import psycopg

    me = logins["names"][ADMIN]
    before = _tables(logins["cli"].db_url)
    with _connect(me, logins["db"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                           match="only with an admin's event"):
        conn.execute(statement.format(me=me))
    assert _tables(logins["cli"].db_url) == before


def test_a_login_mapped_to_no_badge_writes_no_admins_table(logins):
    import psycopg

    with _connect(logins["app"], logins["db"]) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege,
                                                                     match="is not mapped to a badge"):
        conn.execute("UPDATE officers SET role = 'admin' WHERE badge = 'B-1001'")


def test_rewriting_who_it_is_does_not_let_a_login_act_as_another(logins):
    """The attack of the report: rewrite the mapping (or the role), then run the stock command as
    another badge. The rewrite is refused, and so is the command."""
    import psycopg

    ana = logins["names"]["B-1001"]
    with _connect(ana, logins["db"]) as conn:
        for statement in (f"UPDATE officer_logins SET badge = 'C-3001' WHERE role_name = '{ana}'",
                          "UPDATE officers SET role = 'admin' WHERE badge = 'B-1001'"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
    before = _tables(logins["cli"].db_url)
    as_ana = logins["as"]["B-1001"]
    stolen = as_ana("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "x", "--by", "C-3001")
    assert stolen.exit_code == 1
    assert f"database login {ana} writes as badge B-1001, not as C-3001" in stolen.stderr
    rogue = as_ana("officer", "add", "X-0666", "--name", "Nadie", "--role", "admin", "--by", "B-1001",
                   "--public-key", logins["cli"].public_key("X-0666"))
    assert rogue.exit_code == 1
    assert _tables(logins["cli"].db_url) == before


# -- the chain -----------------------------------------------------------------------------
def _next_event(conn, *, seq_delta=1, prev=None, hash_=None, actor="B-1001"):
    """A well-formed event after the head (or with one field made wrong), as its values."""
    from ledger.events import build_body, chain_hash

    head = conn.execute("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").fetchone()
    seq = head[0] + seq_delta
    body = build_body(seq=seq, type="seizure.recorded", recorded_at="2021-04-01T00:00:00Z",
                      occurred_at="2021-04-01T00:00:00Z", actor=actor, case_no="AQP-2020-0147", items=[],
                      data={"place": "x"})
    prev = prev if prev is not None else head[1]
    return {"seq": seq, "at": "2021-04-01T00:00:00Z", "actor": actor, "body": body.decode(), "prev": prev,
            "hash": hash_ if hash_ is not None else chain_hash(prev, body), "salt": "5a" * 32}


INSERT_EVENT = ("INSERT INTO events (seq, recorded_at, occurred_at, actor, type, case_no, body, prev_hash, hash, salt) "
                "VALUES (%(seq)s, %(at)s, %(at)s, %(actor)s, 'seizure.recorded', 'AQP-2020-0147', %(body)s, %(prev)s, "
                "%(hash)s, %(salt)s)")


@pytest.mark.parametrize(("wrong", "message"), [
    ({"seq_delta": 2}, "does not extend the log, whose next event is"),
    ({"seq_delta": 0}, "does not extend the log, whose next event is"),
    ({"prev": "0" * 64}, "its prev_hash is not the hash of event"),
    ({"hash_": "f" * 64}, "its hash is not the SHA-256 of its prev_hash and body"),
])
def test_a_junk_event_row_is_refused(logins, wrong, message):
    import psycopg

    before = _tables(logins["cli"].db_url)
    with _connect(logins["names"]["B-1001"], logins["db"]) as conn:
        row = _next_event(conn, **wrong)
        with pytest.raises(psycopg.errors.CheckViolation, match=message):
            conn.execute(INSERT_EVENT, row)
    assert _tables(logins["cli"].db_url) == before
    logins["as"]["B-1001"].ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "y",
                              "--by", "B-1001")
    assert logins["as"]["B-1001"].ok("verify", json_out=True)["ok"]


def test_an_event_that_leaves_the_head_behind_is_refused_at_commit(logins):
    """A well-formed event whose writer does not move the chain head would stop every later
    writer (the head no longer names the last event): refused when its transaction commits."""
    import psycopg

    before = _tables(logins["cli"].db_url)
    with _connect(logins["names"]["B-1001"], logins["db"]) as conn:
        with pytest.raises(psycopg.errors.CheckViolation, match="without moving the chain head"):
            conn.execute(INSERT_EVENT, _next_event(conn))
        with pytest.raises(psycopg.errors.CheckViolation, match="can only name the last event"):
            conn.execute("UPDATE chain_head SET seq = seq + 1")
    assert _tables(logins["cli"].db_url) == before
    logins["as"]["B-1001"].ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "y",
                              "--by", "B-1001")


def test_a_stray_signature_is_refused(logins):
    """A signature row for a colleague's committed event would make verify fail on that event."""
    import psycopg

    before = _tables(logins["cli"].db_url)
    with _connect(logins["names"]["B-1001"], logins["db"]) as conn:
        seq, key_id, signature = conn.execute(
            "SELECT seq, key_id, signature FROM event_signatures WHERE signer = 'B-1001' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
        with pytest.raises(psycopg.errors.CheckViolation, match=f"signature of event {seq} can only be stored"):
            conn.execute("INSERT INTO event_signatures (seq, signer, key_id, signature) VALUES (%s, 'C-3001', %s, %s)",
                         (seq, key_id, signature))
    assert _tables(logins["cli"].db_url) == before


# -- the commands, as the mapped logins ----------------------------------------------------
def test_the_commands_work_as_the_mapped_logins(logins, tmp_path):
    admin, ana, carmen = logins["as"][ADMIN], logins["as"]["B-1001"], logins["as"]["C-3001"]
    admin.ok("officer", "add", "B-1003", "--name", "Rosa Nina", "--role", "officer", "--by", ADMIN,
             "--public-key", admin.public_key("B-1003"))
    admin.ok("officer", "update", "B-1003", "--unit", "DIRINCRI", "--by", ADMIN)
    old_key = next(k["key_id"] for k in admin.ok("officer", "list", "--keys", json_out=True) if k["badge"] == "B-1003")
    admin.ok("officer", "key", "add", "B-1003", admin.public_key("B-1003-NEW"), "--by", ADMIN)
    admin.ok("officer", "key", "revoke", "B-1003", old_key, "--reason", "rotated", "--by", ADMIN)
    admin.ok("location", "add", "VAULT-2", "--name", "Bóveda 2", "--kind", "vault", "--by", ADMIN)
    ana.ok("phone", "add", "SZ-1", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "A10", "--seal", "S-1",
           "--by", "B-1001", "--at", "2020-10-06T06:00")
    csv = tmp_path / "items.csv"
    csv.write_text("kind,title,pages\n" + "".join(f"document,Hoja {i},1\n" for i in range(100)), encoding="utf-8")
    ana.ok("item", "import", "SZ-1", str(csv), "--by", "B-1001", "--at", "2020-10-06T06:30")
    ana.ok("custody", "transfer", "EV-1", "EV-2", "--from", "B-1001", "--to", "C-3001", "--reason", "Depósito",
           "--location", "ER-AQP", "--by", "B-1001", offer=True)
    carmen.ok("custody", "accept", "EV-1", "EV-2", "--by", "C-3001")
    report = carmen.ok("verify", json_out=True)
    assert report["ok"], report


def test_a_database_refusal_is_one_sentence(logins):
    """As a user sees it at a terminal (a process of its own, its real stderr, as the `evidence`
    script runs): the sentence and its hint, and no driver line before them (psycopg logs
    "error ignored terminating <Pipeline>: pipeline aborted" when a failed pipeline closes)."""
    import os
    import subprocess
    import sys

    from tests.helpers import PASSPHRASE

    ana = logins["as"]["B-1001"]
    env = {**os.environ, "XDG_CONFIG_HOME": ana.keys_home, "EVIDENCE_KEY_PASSPHRASE": PASSPHRASE, "EVIDENCE_LANG": "en"}
    for name in ("EVIDENCE_DB", "EVIDENCE_OFFICER", "EVIDENCE_KEY"):
        env.pop(name, None)
    refused = subprocess.run(
        [sys.executable, "-c", "from ledger.cli import main; main()", "--db", ana.db_url, "--lang", "en", "seizure", "record", "AQP-2020-0147",
         "--at", "2020-10-06T07:00", "--place", "x", "--by", "C-3001"],
        capture_output=True, text=True, env=env, timeout=120, check=False)
    print("STDERR<<", refused.stderr, ">>")
    assert refused.returncode == 1, refused.stderr
    lines = refused.stderr.strip().splitlines()
    assert lines[0].startswith("error: The database refused the event: database login"), refused.stderr
    assert "writes as badge B-1001, not as C-3001; nothing was written." in lines[0]
    assert len(lines) == 2 and lines[1].startswith("Connect with your own database login"), refused.stderr


# -- docs/postgresql.md, as written ---------------------------------------------------------
def _guide_blocks() -> list[tuple[str, str]]:
    """The fenced blocks of steps 1 to 5 of the guide, in order, as (language, text)."""
    import re
    from pathlib import Path

    text = (Path(__file__).parents[2] / "docs" / "postgresql.md").read_text(encoding="utf-8")
    steps = text[text.index("## 1. "):text.index("## A new officer")]
    return re.findall(r"```(sql|sh)\n(.*?)```", steps, flags=re.S)


def test_the_guide_runs_as_written(tmp_path):
    """Every SQL statement and command of steps 1 to 5, in the guide's order, by the role each
    block names, with real logins (fresh names) on the test server; then the officer's login
    works and cannot change who it is, and the report role only reads."""
    import re
    import shlex
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    from tests.conftest import PG_SKIP, PG_URL, drop_pg_database

    if not PG_URL:
        pytest.skip(PG_SKIP)
    tag = uuid.uuid4().hex[:8]
    db = f"evidence_guide_{tag}"
    roles_ = ("owner", "app", "adm01", "b1001", "report")
    base = make_url(PG_URL)
    server = f"{base.host or '127.0.0.1'}:{base.port or 5432}"

    def fresh(text: str) -> str:
        text = re.sub(r"\bevidence_(owner|app|adm01|b1001|report)\b", rf"evidence_\1_{tag}", text)
        text = re.sub(r"\bDATABASE evidence\b", f"DATABASE {db}", text)
        return text.replace("@dbhost/evidence", f"@{server}/{db}")

    blocks = _guide_blocks()
    assert [lang for lang, _ in blocks] == ["sql", "sh", "sql", "sh", "sh"], blocks
    keys_home = str(tmp_path / "keys")
    harness = CliHarness("unused", keys_home=keys_home)
    try:
        db_env: str | None = None
        for lang, block in blocks:
            block = fresh(block)
            if lang == "sql":
                who = block.splitlines()[0]
                assert who in ("-- as a superuser", "-- as the owner"), who
                if who == "-- as a superuser":
                    conn = _pg_admin()
                else:
                    conn = _connect(f"evidence_owner_{tag}", db)
                with conn:
                    for statement in filter(str.strip, re.sub(r"--[^\n]*", "", block).split(";")):
                        conn.execute(statement)
                continue
            for line in block.strip().splitlines():
                words = shlex.split(line)
                if words[0] == "export":
                    db_env = words[1].split("=", 1)[1]
                    continue
                assert words[0] == "evidence", line
                args = words[1:]
                if args[0] == "--db":
                    url, args = args[1], args[2:]
                else:
                    url = db_env
                if "--public-key" in args:  # the key the officer's own `key generate` printed
                    at = args.index("--public-key") + 1
                    args[at] = harness.public_key(args[args.index("add") + 1])
                CliHarness(url, keys_home=keys_home).ok(*args)
        ana = CliHarness(db_env, keys_home=keys_home)
        ana.ok("case", "open", "AQP-2026-0001", "--title", "Robo agravado", "--by", "B-1001")
        refused = ana("location", "add", "ER-X", "--name", "Otra", "--kind", "vault", "--by", "ADM-01")
        assert refused.exit_code == 1 and "writes as badge B-1001, not as ADM-01" in refused.stderr
        with _connect(f"evidence_b1001_{tag}", db) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE officers SET role = 'admin' WHERE badge = 'B-1001'")
        with _connect(f"evidence_report_{tag}", db) as conn:
            assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == 5
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("UPDATE cases SET title = 'x'")
        assert ana.ok("verify", json_out=True)["ok"]
    finally:
        drop_pg_database(db)
        with _pg_admin() as conn:
            for role in roles_:
                conn.execute(f'DROP ROLE IF EXISTS "evidence_{role}_{tag}"')


def test_a_ledger_made_before_these_defences_is_upgraded(backend, db_url):
    """0007 on an existing ledger: back to 0006 with a log in it, upgraded again, still written
    and verified (a no-op on SQLite)."""
    from ledger.db import make_engine
    from ledger.migrate import downgrade, upgrade

    cli = CliHarness(db_url)
    seed_basic(cli)
    engine = make_engine(db_url)
    try:
        downgrade(engine, "0006")
        upgrade(engine)
    finally:
        engine.dispose()
    cli.ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T07:00", "--place", "y", "--by", "B-1001")
    assert cli.ok("verify", json_out=True)["ok"]
    if backend == "postgresql":
        from tests.helpers import rows

        triggers = {r.tgname for r in rows(db_url, "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")}
        assert {"events_extend_chain", "events_head_moved", "event_signatures_same_transaction",
                "chain_head_names_last_event", "officers_admins_only", "settings_admins_only"} <= triggers


def test_init_before_the_grants_names_the_grants_not_the_url(roles):  # noqa: F811 - the imported fixture
    """The guide's old order (init before the identity tables' grants): a sentence that says the
    login lacks a grant and where the grants are, not a hint that blames the URL."""
    with _connect(roles["owner"], roles["db"]) as conn:
        conn.execute(f'REVOKE INSERT, UPDATE ON settings, officer_keys FROM "{roles["app"]}"')
    result = roles["cli"]("init", "--admin", ADMIN, "--name", "Administración de Pruebas")
    assert result.exit_code == 4, result.stderr
    first, hint = result.stderr.strip().splitlines()
    assert first.startswith("error: The database login of ") and "is not allowed to do what this command needs" in first
    assert "permission denied for table" in first
    assert "docs/postgresql.md (step 3)" in hint and "--db" not in hint
    assert not _tables(roles["cli"].db_url)["events"]


def test_without_pgcrypto_the_servers_own_sha256_checks_the_chain():
    """An owner that may not create extensions: `db upgrade` still succeeds (the chain check
    uses PostgreSQL's sha256()), and the ledger is written and verified through it."""
    import uuid

    import psycopg

    from tests.conftest import PG_SKIP, PG_URL, drop_pg_database
    from tests.helpers import rows

    if not PG_URL:
        pytest.skip(PG_SKIP)
    tag = uuid.uuid4().hex[:8]
    owner, db = f"evidence_owner_{tag}", f"evidence_nocrypto_{tag}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE ROLE "{owner}" LOGIN')
        conn.execute(f'CREATE DATABASE "{db}" OWNER "{owner}"')
        conn.execute(f'REVOKE CREATE ON DATABASE "{db}" FROM "{owner}", PUBLIC')
    try:
        cli = CliHarness(_url(owner, db))
        cli.ok("db", "upgrade")
        assert not rows(cli.db_url, "SELECT 1 FROM pg_extension WHERE extname = 'pgcrypto'")
        [source] = rows(cli.db_url, "SELECT prosrc FROM pg_proc WHERE proname = 'evidence_events_extend_chain'")
        assert "pg_catalog.sha256(" in source[0] and "digest(" not in source[0]
        seed_basic(cli)
        with _connect(owner, db) as conn:
            with pytest.raises(psycopg.errors.CheckViolation, match="its hash is not the SHA-256"):
                conn.execute(INSERT_EVENT, _next_event(conn, hash_="e" * 64))
        assert cli.ok("verify", json_out=True)["ok"]
    finally:
        drop_pg_database(db)
        with _pg_admin() as conn:
            conn.execute(f'DROP ROLE IF EXISTS "{owner}"')
