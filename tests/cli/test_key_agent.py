"""The key agent, at a terminal as an officer uses it: one passphrase, then a shift of writing
commands with no passphrase anywhere; the agent's socket is its user's alone; it signs only the
ledger's event messages; it is gone after --for and after `key lock`."""

from __future__ import annotations

import base64
import os
import stat
import time
from pathlib import Path

import pytest

from ledger.identity import agent, keys
from tests.helpers import ADMIN, PASSPHRASE, CliHarness, seed_basic
from tests.terminal import run_at_terminal


@pytest.fixture
def shift(tmp_path, monkeypatch):
    """A ledger with officers whose keys live in tmp_path/xdg-config (where the terminal looks),
    and a runtime folder of the test's own for the agent."""
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    db = tmp_path / "ledger.db"
    cli = CliHarness(f"sqlite:///{db}", keys_home=str(tmp_path / "xdg-config"))
    seed_basic(cli)
    yield cli, db, runtime
    for held in agent.running_agents():
        agent.lock(held.name)


def _env(runtime: Path) -> dict:
    return {"XDG_RUNTIME_DIR": str(runtime), "EVIDENCE_KEY_PASSPHRASE": None}


def test_one_passphrase_then_ten_writing_commands(shift, tmp_path):
    cli, db, runtime = shift
    code, screen, prompts = run_at_terminal(["key", "unlock", "--badge", "B-1001", "--for", "10m"], tmp_path,
                                            answers=[PASSPHRASE], env=_env(runtime), prompt=b"Passphrase of key")
    assert code == 0 and prompts == 1, screen
    assert "unlocked until" in screen
    folder = runtime / "evidence"
    assert stat.S_IMODE(os.lstat(folder).st_mode) == 0o700
    [sock] = list(folder.iterdir())
    assert stat.S_ISSOCK(os.lstat(sock).st_mode) and stat.S_IMODE(os.lstat(sock).st_mode) == 0o600
    commands = [
        ["case", "open", "AQP-2020-0150", "--title", "Caso de turno", "--by", "B-1001"],
        ["seizure", "record", "AQP-2020-0150", "--at", "2020-10-06T07:00", "--place", "Calle Mercaderes 1",
         "--by", "B-1001"],
        ["cash", "add", "SZ-000002", "--amount", "100.00", "--currency", "PEN", "--counted-by", "B-1001",
         "--verified-by", "B-1002", "--by", "B-1001"],
        ["cash", "add", "SZ-000002", "--amount", "50.00", "--currency", "USD", "--counted-by", "B-1001",
         "--verified-by", "B-1002", "--by", "B-1001"],
        ["document", "add", "SZ-000002", "--title", "Cuaderno", "--pages", "12", "--by", "B-1001"],
        ["vehicle", "add", "SZ-000002", "--make", "Toyota", "--model", "Yaris", "--plate", "V2B-456", "--by",
         "B-1001"],
        ["rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001"],
        ["custody", "reseal", "EV-000001", "--old-seal", "-", "--new-seal", "S-0001", "--reason", "Bolsa nueva",
         "--by", "B-1001"],
        ["custody", "transfer", "EV-000002", "--from", "B-1001", "--to", "C-3001", "--reason", "Al depósito",
         "--by", "B-1001"],
        ["custody", "decline", "EV-000002", "--reason", "Me equivoqué", "--by", "B-1001"],
    ]
    for argv in commands:
        code, screen, prompts = run_at_terminal(["--db", str(db), *argv], tmp_path, env=_env(runtime),
                                                prompt=b"key (")
        assert prompts == 0, screen
        assert code == 0 or "reseal" in argv, screen  # reseal's old seal may be refused: a refusal, never a prompt
    assert cli.ok("verify", json_out=True)["ok"]
    code, screen, _n = run_at_terminal(["key", "lock", "--badge", "B-1001"], tmp_path, env=_env(runtime))
    assert code == 0 and "locked: B-1001" in screen
    assert list(folder.iterdir()) == []
    # With the key locked, a command asks for the passphrase again.
    code, screen, prompts = run_at_terminal(["--db", str(db), "case", "open", "AQP-2020-0151", "--title", "Otro",
                                             "--by", "B-1001"], tmp_path, env=_env(runtime), prompt=b"key (")
    assert prompts == 1 and code == 1, screen


def test_the_agent_is_gone_after_its_time(shift, tmp_path):
    _cli, _db, runtime = shift
    key = keys.load_key_file(tmp_path / "xdg-config" / "evidence" / "keys" / "B-1002.key", PASSPHRASE)
    held = agent.start_agent(key, 2)
    assert agent.held_key("B-1002").public_key == key.public_key
    time.sleep(3.5)
    assert agent.held_key("B-1002") is None
    assert not agent.socket_path("B-1002").exists()
    assert not _running(held.pid)  # the process itself has ended


def _running(pid: int) -> bool:
    """True while process `pid` runs (a zombie the test process has not reaped has ended)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except FileNotFoundError:
        return False


def test_the_agent_signs_only_event_messages(shift, tmp_path):
    from ledger.log.signatures import event_message

    key = keys.load_key_file(tmp_path / "xdg-config" / "evidence" / "keys" / "B-1002.key", PASSPHRASE)
    held = agent.start_agent(key, 60)
    leaf = bytes(range(32))
    for message in (event_message(leaf), event_message(leaf, "evidence-ledger/0123456789abcdef")):
        signature = held.private_key.sign(message)
        assert keys.verify_signature(key.public_key, message, signature)
    v2 = event_message(leaf, "evidence-ledger/0123456789abcdef")
    for message in (b"evidence.example/arequipa\n12\nroot\n", event_message(leaf) + b"x", leaf, v2 + b"x",
                    event_message(leaf, "evidence-ledger/not-an-origin")):
        answer = agent._request(held.private_key.path, {"op": "sign",
                                                        "message": base64.b64encode(message).decode()})
        assert "signature" not in answer and "only event signatures" in answer["error"]


def test_key_option_wins_over_the_agent_and_lock_all(shift, tmp_path):
    cli, db, runtime = shift
    for badge in ("B-1001", "B-1002"):
        agent.start_agent(keys.load_key_file(cli.key_path(badge), PASSPHRASE), 60)
    assert sorted(a.name for a in agent.running_agents()) == ["B-1001", "B-1002"]
    code, screen, prompts = run_at_terminal(["--db", str(db), "--key", str(cli.key_path("B-1001")), "case", "open",
                                             "AQP-2020-0152", "--title", "Con archivo", "--by", "B-1001"],
                                            tmp_path, answers=[PASSPHRASE], env=_env(runtime), prompt=b"key (")
    assert code == 0 and prompts == 1, screen
    code, screen, _n = run_at_terminal(["key", "lock"], tmp_path, env=_env(runtime))
    assert code == 1 and "--badge BADGE, or --all" in screen
    code, screen, _n = run_at_terminal(["key", "lock", "--all"], tmp_path, env=_env(runtime))
    assert code == 0 and "B-1001" in screen and "B-1002" in screen
    assert agent.running_agents() == []


def test_a_folder_others_can_open_is_refused(tmp_path, monkeypatch):
    runtime = tmp_path / "run"
    (runtime / "evidence").mkdir(parents=True)
    os.chmod(runtime / "evidence", 0o755)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    key = keys.generate_key_file(tmp_path / "k.key", ADMIN, PASSPHRASE)
    with pytest.raises(agent.EnvironmentProblem, match="only you can open"):
        agent.start_agent(key, 60)
    assert agent.held_key(ADMIN) is None


def test_durations():
    assert agent.parse_duration("8h") == 28800 and agent.parse_duration("1h30m") == 5400
    assert agent.parse_duration("45s") == 45 and agent.parse_duration("90") == 5400
    for bad in ("0s", "25h", "ocho", "", "-1h"):
        with pytest.raises(agent.InputError):
            agent.parse_duration(bad)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to act as another user")
def test_another_user_cannot_reach_the_agent(shift, tmp_path):
    import socket

    key = keys.load_key_file(tmp_path / "xdg-config" / "evidence" / "keys" / "B-1002.key", PASSPHRASE)
    held = agent.start_agent(key, 60)
    pid = os.fork()
    if pid == 0:  # the child becomes user 'nobody' and tries the socket
        code = 3
        try:
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.connect(str(held.private_key.path))
            code = 0
        except PermissionError:
            code = 1
        finally:
            os._exit(code)
    _pid, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 1  # refused by the folder's and the socket's modes
