"""Shared test helpers: running the CLI against a test ledger, seeding it, and taking
snapshots of every table to prove a refused command wrote nothing."""

from __future__ import annotations

import json

from click.testing import CliRunner

ADMIN = "ADM-0001"
PASSPHRASE = "test passphrase"
_GLOBAL_WITH_VALUE = {"--db", "--tz", "--key", "--lang"}


def _command_at(args: list[str]) -> int:
    """Index of the first word of the command in `args`, past the global options."""
    i = 0
    while i < len(args) and args[i].startswith("-"):
        i += 2 if args[i] in _GLOBAL_WITH_VALUE else 1
    return i


def _option(args: list[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


_KEY_CACHE: dict[str, str] = {}  # badge -> a key file made once in this process


def copy_test_key(badge: str, path) -> None:
    """Put the test key of `badge` (passphrase PASSPHRASE) at `path`: made once per test
    process and badge, then copied with its owner-only mode. Each test has its own ledger, so
    officers of different tests may share a key pair as they share a badge."""
    import shutil
    import tempfile
    from pathlib import Path

    from ledger.identity import keys

    cached = _KEY_CACHE.get(badge)
    if cached is None or not Path(cached).exists():
        folder = Path(tempfile.mkdtemp(prefix="evidence-test-keys-"))
        keys.generate_key_file(folder / "key", badge, PASSPHRASE)
        cached = _KEY_CACHE[badge] = str(folder / "key")
    Path(path).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    keys.check_new_key_path(path)
    shutil.copy2(cached, path)


class CliHarness:
    """Runs `evidence --db <ledger> ARGS...` in-process, as the officers of a test.

    Every officer signs with their own key: the harness keeps the test's keys in a folder of its
    own (XDG_CONFIG_HOME, passphrase PASSPHRASE) and, so that tests about other things read as
    they did, acts as the ledger's admin where a test leaves authority unsaid: it starts the
    ledger (`init --admin ADM-0001`) before the first `officer add` or `location add` without
    --by, adds `--by ADM-0001 --public-key KEY` (a key made for the new badge), completes a
    `custody transfer` with the receiver's key (`--receiver-key`, both at one terminal) unless
    the test passes `offer=True`, and names a witness for a `custody dispose` without one.
    Tests of identity itself pass these options explicitly."""

    def __init__(self, db_url: str, keys_home: str | None = None):
        import tempfile

        self.db_url = db_url
        self.runner = CliRunner()
        self.keys_home = keys_home or tempfile.mkdtemp(prefix="evidence-keys-")
        self.initialized = False
        self.officers: list[str] = []

    def key_path(self, badge: str):
        from pathlib import Path

        return Path(self.keys_home) / "evidence" / "keys" / f"{badge}.key"

    def public_key(self, badge: str) -> str:
        """The base64 public key of `badge`'s test key, made on first use."""
        import base64

        from ledger.identity import keys

        path = self.key_path(badge)
        if not path.exists():
            copy_test_key(badge, path)
        return base64.b64encode(keys.load_key_file(path, PASSPHRASE).public_key).decode("ascii")

    def init(self) -> None:
        if self.initialized:
            return
        result = self._run(["init", "--admin", ADMIN, "--name", "Administración de Pruebas"], None, None)
        # A ledger that cannot be started (a schema it does not know, a folder that is missing)
        # refuses the test's own command the same way, with its own message.
        if result.exit_code == 0:
            self.initialized = True
            self.officers.append(ADMIN)

    def _authority(self, args: list[str], offer: bool) -> list[str]:
        at = _command_at(args)
        cmd = args[at:at + 2]
        if args[at:at + 1] == ["init"]:
            self.initialized = True
            return args
        if cmd == ["officer", "add"] and "--by" not in args:
            self.init()
            badge = args[at + 2] if len(args) > at + 2 else ""
            extra = ["--by", ADMIN]
            if "--public-key" not in args and badge and not badge.startswith("-"):
                try:
                    extra += ["--public-key", self.public_key(badge.strip().upper())]
                except Exception:  # a badge no key can be named for: the command refuses it anyway
                    pass
            return args + extra
        if cmd == ["location", "add"] and "--by" not in args:
            self.init()
            return args + ["--by", ADMIN]
        if cmd == ["custody", "transfer"] and not offer and "--receiver-key" not in args:
            to = _option(args, "--to")
            if to and self.key_path(to.strip().upper()).exists():
                return args + ["--receiver-key", str(self.key_path(to.strip().upper()))]
        if cmd == ["custody", "dispose"] and "--witness" not in args:
            by = (_option(args, "--by") or "").strip().upper()
            witness = next((b for b in self.officers if b not in (by, ADMIN)), ADMIN)
            return args + ["--witness", witness]
        return args

    def __call__(self, *args: str, input: str | None = None, env: dict | None = None, json_out: bool = False,
                 offer: bool = False):
        args = self._authority([str(a) for a in args], offer)
        result = self._run(args, input, env, json_out)
        at = _command_at(args)
        if args[at:at + 2] == ["officer", "add"] and result.exit_code == 0:
            self.officers.append(args[at + 2].strip().upper())
        return result

    def _run(self, args: list[str], input, env, json_out: bool = False):
        from ledger.cli import main

        argv = ["--db", self.db_url] + (["--json"] if json_out else []) + args
        base_env = {"EVIDENCE_OFFICER": None, "EVIDENCE_DB": None, "EVIDENCE_TZ": None, "EVIDENCE_KEY": None,
                    "XDG_CONFIG_HOME": self.keys_home, "EVIDENCE_KEY_PASSPHRASE": PASSPHRASE}
        result = self.runner.invoke(main, argv, input=input, env={**base_env, **(env or {})}, catch_exceptions=True)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result

    def ok(self, *args: str, **kw):
        """Run and insist on exit 0; returns stdout stripped (or parsed JSON with json_out)."""
        result = self(*args, **kw)
        assert result.exit_code == 0, f"exit {result.exit_code}: {result.stderr}{result.stdout}"
        return json.loads(result.stdout) if kw.get("json_out") else result.stdout.strip()

    def snapshot(self) -> dict:
        return snapshot(self.db_url)


def start_ledger(lg, folder, officers=()) -> None:
    """For tests that call the ledger's functions directly: keys for the admin and `officers`
    ((badge, role) pairs) in `folder`, the ledger started by its admin ADM-0001, and the
    officers registered with their keys."""
    import base64
    from pathlib import Path

    from ledger.identity import keys
    from ledger.identity.signing import Keyring
    from ledger.registry import add_officer, init_ledger

    folder = Path(folder)
    lg.keyring = Keyring(demo_dir=folder, passphrase=lambda _badge, _path: PASSPHRASE)

    def key(badge: str) -> bytes:
        copy_test_key(badge, folder / f"{badge}.key")
        return keys.load_key_file(folder / f"{badge}.key", PASSPHRASE).public_key

    lg.write(init_ledger, ADMIN, name="Administración de Pruebas", unit=None, public_key=key(ADMIN))
    for badge, role in officers:
        lg.write(add_officer, badge, name=f"Officer {badge}", role=role, by=ADMIN,
                 public_key=base64.b64encode(key(badge)).decode("ascii"))


def snapshot(db_url: str) -> dict:
    """Every row of every table, to compare before and after a refused command."""
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            out = {}
            for table in sorted(inspect(conn).get_table_names()):
                rows = conn.execute(text(f'SELECT * FROM "{table}"')).all()
                out[table] = sorted(tuple("" if v is None else str(v) for v in row) for row in rows)
            return out
    finally:
        engine.dispose()


def seed_basic(cli) -> None:
    for badge, name, role in [
        ("B-1001", "Ana Quispe Mamani", "officer"),
        ("B-1002", "Luis Condori Apaza", "officer"),
        ("C-3001", "Carmen Flores Ticona", "custodian"),
        ("A-4001", "Jorge Salas Vera", "auditor"),
        ("F-2001", "Rosa Huamán Ccori", "prosecutor"),
    ]:
        cli.ok("officer", "add", badge, "--name", name, "--role", role)
    cli.ok("location", "add", "ER-AQP", "--name", "Evidence room, Arequipa", "--kind", "evidence-room")
    cli.ok("location", "add", "VAULT-1", "--name", "Vault", "--kind", "vault")
    cli.ok("case", "open", "AQP-2020-0147", "--title", "Venta de recién nacidos", "--prosecutor", "F-2001",
           "--by", "B-1001", "--at", "2020-10-06T04:00")
    cli.ok("seizure", "record", "AQP-2020-0147", "--at", "2020-10-06T05:30", "--place", "Calle Misti 123, Arequipa",
           "--acta", "ACTA-0001", "--by", "B-1001", "--from-person", "Persona Ficticia Uno", "--witness", "Testigo Uno")


GOOD_IMEI = "490154203237518"
GOOD_IMEI2 = "356938035643809"


def rows(db_url: str, sql: str, **params):
    """Run one SQL query on the test ledger, for assertions on database state."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).all()
    finally:
        engine.dispose()
