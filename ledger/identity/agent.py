"""The key agent: one passphrase per shift. `evidence key unlock` opens an officer's key file once
and hands the key to a small process of the officer's own, which listens on a socket only its
user can open and signs event signatures for the commands that follow, until its time runs out,
`evidence key lock` stops it, or the login session's runtime folder is removed.

The private key never leaves the agent: a command sends the message to sign and gets the
signature back, and the agent signs nothing but the ledger's domain-separated event messages
(FORMAT.md 1.6: a context, the origin line of a v2 message, and a 32-byte leaf), so a process that reaches the socket cannot
make it sign a checkpoint, a note or anything else in the officer's name.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ledger.errors import EnvironmentProblem, InputError
from ledger.i18n import _

SOCKET_SUFFIX = ".sock"
LEAF_SIZE = 32
_MAX_REQUEST = 4096
_POLL_S = 1.0
DEFAULT_FOR_S = 8 * 3600
MAX_FOR_S = 24 * 3600


# --------------------------------------------------------------------------- where agents listen

def agent_folder(*, create: bool = False) -> Path:
    """The folder of this user's agent sockets: $XDG_RUNTIME_DIR/evidence (the login session's
    own folder, removed at logout), else a folder of the user's own in the temporary folder.
    Mode 0700 and owned by the user, or refused: a socket in a folder others can write could be
    swapped for theirs."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        folder = Path(runtime) / "evidence"
    else:
        folder = Path(tempfile.gettempdir()) / f"evidence-agent-{os.getuid()}"
    if create:
        try:
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as exc:
            raise EnvironmentProblem(_("Cannot create the key agent's folder {folder}: {reason}.").format(
                folder=folder, reason=exc.strerror), hint=_("Set XDG_RUNTIME_DIR to a folder of your own.")) from None
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        return folder
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise EnvironmentProblem(
            _("The key agent's folder {folder} is not a folder of yours that only you can open (mode 0700), so no "
              "agent is trusted there.").format(folder=folder),
            hint=_("Remove it, or set XDG_RUNTIME_DIR to a folder of your own."))
    return folder


def socket_path(badge: str, folder: Path | None = None) -> Path:
    # A badge may hold '/', so the socket is named by a digest of it; the agent says whose it is.
    digest = hashlib.sha256(badge.encode("utf-8")).hexdigest()[:16]
    return (folder or agent_folder()) / f"{digest}{SOCKET_SUFFIX}"


def parse_duration(text: str, field: str = "--for") -> int:
    """Seconds in '8h', '90m', '1h30m', '45s' or a plain number of minutes, from 1 s to 24 h."""
    import re

    value = (text or "").strip().lower()
    total = None
    if re.fullmatch(r"[0-9]+", value):
        total = int(value) * 60
    elif value and re.fullmatch(r"(?:[0-9]+[hms])+", value):
        units = {"h": 3600, "m": 60, "s": 1}
        total = sum(int(n) * units[u] for n, u in re.findall(r"([0-9]+)([hms])", value))
    if total is None or not 1 <= total <= MAX_FOR_S:
        raise InputError(_("{field} {value!r} is not a time from 1 second to 24 hours.").format(
            field=field, value=text), hint=_("Write it like 8h, 90m, 1h30m or 45s."))
    return total


# --------------------------------------------------------------------------- talking to an agent

def _request(path: Path, request: dict, timeout: float = 10.0) -> dict | None:
    """The agent's answer to `request`, or None when no agent listens at `path`."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(json.dumps(request).encode("ascii") + b"\n")
            data = b""
            while not data.endswith(b"\n"):
                chunk = conn.recv(_MAX_REQUEST)
                if not chunk:
                    break
                data += chunk
    except (TimeoutError, FileNotFoundError, ConnectionRefusedError, OSError):
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


class AgentSigner:
    """Stands where a private key stands for the code that signs events: `sign(message)`."""

    def __init__(self, path: Path, badge: str):
        self.path = path
        self.badge = badge

    def sign(self, message: bytes) -> bytes:
        answer = _request(self.path, {"op": "sign", "message": base64.b64encode(message).decode("ascii")})
        if not answer or "signature" not in answer:
            raise InputError(_("The key agent of {badge} stopped before it signed (its time ran out, or it was "
                               "locked); nothing was written.").format(badge=self.badge),
                             hint=_("Run 'evidence key unlock --badge {badge}' again, or set the passphrase for this "
                                    "command.").format(badge=self.badge))
        return base64.b64decode(answer["signature"])


@dataclass(frozen=True)
class AgentKey:
    """A key an agent holds, as the keyring hands it to a signer (like `keys.KeyFile`)."""

    name: str
    public_key: bytes
    private_key: AgentSigner
    expires: float
    pid: int
    path: Path | None = None


def held_key(badge: str) -> AgentKey | None:
    """The key of `badge` as its agent holds it, or None when no agent of this user holds it."""
    try:
        path = socket_path(badge)
    except EnvironmentProblem:
        return None
    answer = _request(path, {"op": "info"})
    if not answer or answer.get("name") != badge:
        return None
    return AgentKey(name=badge, public_key=base64.b64decode(answer["public_key"]),
                    private_key=AgentSigner(path, badge), expires=answer["expires"], pid=answer["pid"])


def running_agents() -> list[AgentKey]:
    """Every agent of this user that answers."""
    try:
        folder = agent_folder()
    except EnvironmentProblem:
        return []
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob("*" + SOCKET_SUFFIX)):
        answer = _request(path, {"op": "info"})
        if answer and isinstance(answer.get("name"), str):
            out.append(AgentKey(name=answer["name"], public_key=base64.b64decode(answer["public_key"]),
                                private_key=AgentSigner(path, answer["name"]), expires=answer["expires"],
                                pid=answer["pid"]))
        else:
            path.unlink(missing_ok=True)  # a socket left by an agent that is gone
    return out


def lock(badge: str) -> bool:
    """Stop the agent of `badge`; True when one was running."""
    answer = _request(socket_path(badge), {"op": "lock"})
    return bool(answer and answer.get("locked"))


def start_agent(key, seconds: int) -> AgentKey:
    """A new agent holding `key` (an opened `keys.KeyFile`) for `seconds`, replacing any agent that
    holds the same badge. The key reaches the agent through a pipe, never a file or an argument."""
    from cryptography.hazmat.primitives import serialization

    folder = agent_folder(create=True)
    path = socket_path(key.name, folder)
    lock(key.name)
    seed = key.private_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                         serialization.NoEncryption())
    proc = subprocess.Popen([sys.executable, "-m", "ledger.identity.agent", str(path), str(seconds)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            start_new_session=True, close_fds=True, cwd="/")
    proc.stdin.write(json.dumps({"name": key.name, "seed": base64.b64encode(seed).decode("ascii")}).encode() + b"\n")
    proc.stdin.close()
    ready = proc.stdout.readline()
    proc.stdout.close()
    if ready.strip() != b"ready":
        raise EnvironmentProblem(_("The key agent could not start in {folder}.").format(folder=folder),
                                 hint=_("Check that the folder is yours and writable, or set XDG_RUNTIME_DIR."))
    held = held_key(key.name)
    if held is None:
        raise EnvironmentProblem(_("The key agent started but does not answer at {path}.").format(path=path),
                                 hint=_("Run 'evidence key lock --all' and unlock again."))
    return held


# --------------------------------------------------------------------------- the agent itself

_ORIGIN_LINE = re.compile(rb"evidence-ledger/[0-9a-f]{16}\n")


def signable(message: bytes) -> bool:
    """The only messages an agent signs: an event signature's (FORMAT.md 1.6), its context, the
    ledger's origin line in a v2 message, and a leaf hash."""
    from ledger.log.signatures import CONTEXT_V1, CONTEXT_V2

    if message.startswith(CONTEXT_V1):
        return len(message) == len(CONTEXT_V1) + LEAF_SIZE
    if message.startswith(CONTEXT_V2):
        origin = message[len(CONTEXT_V2):-LEAF_SIZE]
        return len(message) > len(CONTEXT_V2) + LEAF_SIZE and _ORIGIN_LINE.fullmatch(origin) is not None
    return False


def _not_traceable() -> None:
    """No core dump and no ptrace by other processes of the same user (Linux): the key is in
    this process's memory."""
    import resource

    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    except (ValueError, OSError):
        pass
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 4
    except (OSError, AttributeError):
        pass


def _peer_is_me(conn: socket.socket) -> bool:
    try:
        creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except (OSError, AttributeError):
        return True  # no SO_PEERCRED here: the socket's mode 0600 and the folder's 0700 decide
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def serve(path: Path, seconds: int, name: str, seed: bytes, ready) -> None:
    """Listen at `path` until `seconds` have passed, a lock request, or the socket is removed."""
    from ledger.identity import keys

    _not_traceable()
    private_key = keys.private_key_from_seed(seed)
    public = keys.public_key_bytes(private_key)
    expires = time.time() + seconds
    path.unlink(missing_ok=True)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old = os.umask(0o177)
    try:
        server.bind(str(path))  # created 0600 by the umask, never readable by others for an instant
    finally:
        os.umask(old)
    os.chmod(path, 0o600)
    server.listen(16)
    inode = os.stat(path).st_ino
    ready()
    try:
        while True:
            left = expires - time.time()
            if left <= 0:
                return
            try:
                if os.stat(path).st_ino != inode:
                    return  # the socket was replaced or its folder removed (the session ended)
            except FileNotFoundError:
                return
            server.settimeout(min(_POLL_S, left))
            try:
                conn, _addr = server.accept()
            except (TimeoutError, InterruptedError):
                continue
            with conn:
                if _answer(conn, name, public, private_key, expires) == "lock":
                    return
    finally:
        server.close()
        try:
            if os.stat(path).st_ino == inode:
                path.unlink()
        except FileNotFoundError:
            pass


def _answer(conn: socket.socket, name: str, public: bytes, private_key, expires: float) -> str | None:
    conn.settimeout(5)
    if not _peer_is_me(conn):
        return None
    data = b""
    try:
        while not data.endswith(b"\n") and len(data) <= _MAX_REQUEST:
            chunk = conn.recv(_MAX_REQUEST)
            if not chunk:
                break
            data += chunk
        request = json.loads(data)
        op = request.get("op")
        if op == "info":
            reply = {"name": name, "public_key": base64.b64encode(public).decode("ascii"), "expires": expires,
                     "pid": os.getpid()}
        elif op == "sign":
            message = base64.b64decode(request.get("message", ""), validate=True)
            if not signable(message):
                reply = {"error": "the agent signs only event signatures of the ledger"}
            else:
                reply = {"signature": base64.b64encode(private_key.sign(message)).decode("ascii")}
        elif op == "lock":
            reply = {"locked": True}
        else:
            reply = {"error": "unknown request"}
        conn.sendall(json.dumps(reply).encode("ascii") + b"\n")
    except (OSError, ValueError, AttributeError, TypeError):
        return None
    return op if op == "lock" else None


def main(argv: list[str]) -> int:
    path, seconds = Path(argv[0]), int(argv[1])
    given = json.loads(sys.stdin.readline())
    sys.stdin.close()
    seed = base64.b64decode(given["seed"])

    def ready() -> None:
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        sys.stdout.close()

    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # a Ctrl-C in the terminal that started it is not for it
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    serve(path, seconds, given["name"], seed, ready)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
