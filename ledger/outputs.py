"""Where an export may write: one rule for every file or folder a command writes with --out.

An export must never replace the ledger it was made from, a folder holding anything but an
earlier export of the same kind, a directory in place of a file, or anything through a
symbolic link. Every writer checks its target here before it
reads anything and moves its finished output into place with the helpers here, atomically.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from ledger.errors import InputError, RuleError
from ledger.i18n import N_, _

# What check_folder's callers name their output (`what=`), translated where it is shown.
OUTPUT_NAMES = (N_("log bundle"),)

# SQLite keeps these beside the ledger file while it is open; replacing one corrupts the ledger.
SQLITE_SIDECARS = ("", "-wal", "-shm", "-journal")


def ledger_file(database) -> Path | None:
    """The file of a SQLite ledger (a URL string or a SQLAlchemy URL), resolved; None for
    PostgreSQL and in-memory databases, which have no file an export could overwrite."""
    if database is None:
        return None
    if hasattr(database, "get_backend_name"):
        if database.get_backend_name() != "sqlite" or database.database in (None, "", ":memory:"):
            return None
        path = Path(database.database)
    else:
        from ledger.config import sqlite_path

        path = sqlite_path(str(database))
        if path is None:
            return None
    return Path(os.path.realpath(path.expanduser()))


def _no_nul(out: str, option: str, example: str) -> None:
    if "\x00" in out:
        raise InputError(_("{option} {out!r} contains a NUL character, which no file name can hold.").format(
            option=option, out=out), hint=_("Give a name like {example}.").format(example=example))


def refuse_link(path: Path, out: str, option: str = "--out", *, database=None) -> Path:
    """The one rule of every writer: `--out` is never a symbolic link. Writing through one would
    put the output where the link points (another user's file, the ledger, a key) instead of the
    name the user typed and sees."""
    if not path.is_symlink():
        return path
    if _is_ledger(path, ledger_file(database)):
        raise RuleError(_("{option} {out} is the ledger's own database file; nothing was written.").format(
            option=option, out=out), hint=_("Choose another file name: an export never replaces the ledger."))
    raise RuleError(_("{option} {out} is a symbolic link (to {real}), and nothing is written through one; nothing "
                      "was written.").format(option=option, out=out, real=os.path.realpath(path)),
                    hint=_("Give the path of the real file or folder, or a new name for {option}.").format(
                        option=option))


def _is_ledger(path: Path, ledger: Path | None) -> bool:
    if ledger is None:
        return False
    real = Path(os.path.realpath(path))
    if real in {Path(f"{ledger}{s}") for s in SQLITE_SIDECARS}:
        return True
    try:
        return path.exists() and ledger.exists() and os.path.samefile(path, ledger)
    except OSError:
        return False


def check_file(out: str, *, option: str = "--out", force: bool = False, suffix: str | None = None,
               example: str = "report.xlsx", database=None) -> Path:
    """The path a writer may replace with a new file for `out`, or a refusal that says why.
    `database` is the ledger's URL: its file is never an export's target."""
    _no_nul(out, option, example)
    given = Path(out).expanduser()
    if suffix and given.suffix.lower() != suffix:
        raise InputError(_("{option} {out}: the file name must end in {suffix}.").format(
            option=option, out=out, suffix=suffix), hint=_("Name the file like {example}.").format(example=example))
    folder = given.parent if str(given.parent) else Path(".")
    if not folder.is_dir():
        raise InputError(_("{option} {out}: the folder {folder} does not exist.").format(
            option=option, out=out, folder=folder),
            hint=_("Create the folder first, or give a path in an existing folder."))
    path = refuse_link(given, out, option, database=database)
    if path.is_dir():
        raise InputError(_("{option} {out} is a folder, not a file.").format(option=option, out=out),
                         hint=_("Give a file name like {example}.").format(example=example))
    if _is_ledger(path, ledger_file(database)):
        raise RuleError(_("{option} {out} is the ledger's own database file; nothing was written.").format(
            option=option, out=out), hint=_("Choose another file name: an export never replaces the ledger."))
    if path.exists() and not path.is_file():
        raise InputError(_("{option} {out} exists and is not a regular file; nothing was written.").format(
            option=option, out=out), hint=_("Choose another file name."))
    if path.exists() and not force:
        raise RuleError(_("{option} {out} already exists; nothing was written.").format(option=option, out=out),
                        hint=_("Pass --force to replace it, or choose another file name."))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(_("{option} {out}: no permission to write in the folder {folder}.").format(
            option=option, out=out, folder=folder), hint=_("Choose a folder you may write to."))
    return path


def move_file_into_place(tmp: Path, path: Path, *, force: bool, shown: str, option: str = "--out") -> None:
    """Rename the finished `tmp` onto `path`. Without `force`, a `path` that appeared since
    the check is left alone and the command is refused."""
    taken = RuleError(_("{option} {out} already exists; nothing was written.").format(option=option, out=shown),
                      hint=_("Pass --force to replace it, or choose another file name."))
    if force:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # atomic "create if absent"
    except FileExistsError as exc:
        raise taken from exc
    except OSError:
        if path.exists():
            raise taken from None
        os.replace(tmp, path)  # a file system without hard links
        return
    tmp.unlink()


@contextlib.contextmanager
def staged_file(path: Path, *, out: str, force: bool) -> Iterator[Path]:
    """A hidden file beside `path` for the writer to fill. When the block ends it gets the usual
    permissions and takes `path`'s place in one step; when the block fails it is removed, so a
    refused or failed command leaves no file behind."""
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=f".{path.name}.", suffix=".part")
    except OSError as exc:
        raise InputError(_("--out {out}: cannot create a file in {folder}: {problem}.").format(
            out=out, folder=folder, problem=exc.strerror), hint=_("Choose a folder you may write to.")) from exc
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        move_file_into_place(tmp, path, force=force, shown=str(out))
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


def _holds_only(folder: Path, names: frozenset[str], manifest: str) -> list[str]:
    """What in `folder` is not part of an earlier output made of `names`, whose file
    `manifest` (sha256sum format) lists the others; empty when it is exactly such an output."""
    strangers = []
    for entry in sorted(folder.iterdir()):
        if entry.name not in names or entry.is_symlink() or not entry.is_file():
            strangers.append(entry.name + ("/" if entry.is_dir() and not entry.is_symlink() else ""))
    if strangers:
        return strangers
    listed_file = folder / manifest
    if not listed_file.is_file():
        return [_("(no {manifest})").format(manifest=manifest)]
    try:
        listed = {line.split(maxsplit=1)[1].lstrip("*") for line in listed_file.read_text("ascii").splitlines()
                  if line.strip()}
    except (UnicodeDecodeError, IndexError, OSError):
        return [_("{manifest} (not a list of checksums)").format(manifest=manifest)]
    present = {e.name for e in folder.iterdir()} - {manifest}
    if listed != present:
        return [_("{manifest} (lists {names} differently)").format(manifest=manifest,
                                                                   names=", ".join(sorted(listed ^ present)))]
    return []


def check_folder(out: str, *, option: str = "--out", force: bool = False, names: Iterable[str],
                 manifest: str, what: str, database=None) -> Path:
    """The folder a writer may fill (new, empty, or with `force` an earlier output made of
    exactly `names`), or a refusal that says why; nothing is removed here."""
    _no_nul(out, option, "audit-bundle")
    given = Path(out).expanduser().absolute()
    target = refuse_link(given, out, option, database=database)
    shown_what = _(what)
    if target.exists() and not target.is_dir():
        raise InputError(_("{option} {out} is a file, not a folder.").format(option=option, out=out),
                         hint=_("Give the path of a new or empty folder."))
    if not target.parent.is_dir():
        raise InputError(_("{option} {out}: the folder {folder} does not exist.").format(
            option=option, out=out, folder=target.parent), hint=_("Create it first."))
    real = Path(os.path.realpath(target))
    ledger = ledger_file(database)
    if ledger is not None and ledger.is_relative_to(real):
        raise RuleError(_("{option} {out} holds the ledger's own database file {ledger}; nothing was removed.").format(
            option=option, out=out, ledger=ledger),
            hint=_("Give a new or empty folder for the {what}.").format(what=shown_what))
    try:
        here = Path(os.path.realpath(Path.cwd()))
    except OSError:  # the current folder was removed under us: it cannot be the target
        here = None
    if here is not None and here.is_relative_to(real):
        raise RuleError(_("{option} {out} is the current folder or holds it, and the {what} replaces its folder "
                          "whole; nothing was removed.").format(option=option, out=out, what=shown_what),
                        hint=_("Give a new folder's name, like --out audit-bundle."))
    if target.is_dir() and any(target.iterdir()):
        if not force:
            raise InputError(_("{option} {out} already exists and is not empty.").format(option=option, out=out),
                             hint=_("Give a new folder, or pass --force to replace an earlier {what} in it.").format(
                                 what=shown_what))
        strangers = _holds_only(target, frozenset(names), manifest)
        if strangers:
            shown = ", ".join(strangers[:5])
            if len(strangers) > 5:
                shown = _("{names} and {n} more").format(names=shown, n=len(strangers) - 5)
            raise RuleError(_("{option} {out} holds more than an earlier {what} ({shown}); nothing was removed.")
                            .format(option=option, out=out, what=shown_what, shown=shown),
                            hint=_("--force replaces only a folder that holds an earlier {what} and nothing else; "
                                   "give a new or empty folder.").format(what=shown_what))
    if not os.access(target.parent, os.W_OK | os.X_OK):
        raise InputError(_("{option} {out}: no permission to write in the folder {folder}.").format(
            option=option, out=out, folder=target.parent), hint=_("Choose a folder you may write to."))
    return target


def temporary_folder(target: Path) -> Path:
    """A new hidden folder beside `target`, on the same file system so it can be renamed."""
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))


def swap_folder_into_place(tmp: Path, target: Path) -> None:
    """Rename the finished `tmp` onto `target`; an old `target` (checked by check_folder)
    is set aside first and removed only once the new one is in place."""
    if not target.is_dir():
        tmp.rename(target)
        return
    old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
    old.rmdir()
    target.rename(old)
    try:
        tmp.rename(target)
    except OSError:
        old.rename(target)
        raise
    shutil.rmtree(old, ignore_errors=True)
