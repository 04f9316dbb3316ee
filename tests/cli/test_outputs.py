"""Where an export may write (ledger/outputs.py): never over the ledger, never over a folder
holding anything but an earlier bundle, never through a link to elsewhere, never a folder in
place of a file. Each refusal exits 1 with the reason and leaves every file where it was."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.cli.test_bundle import run_verify
from tests.helpers import CliHarness, seed_basic

CASE = "AQP-2020-0147"


def tree(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under `folder`, to prove nothing was touched.
    A ledger file is only listed: SQLite may fold its write-ahead log into it on closing."""
    return {str(p.relative_to(folder)): (None if p.is_dir() or p.suffix == ".db" else p.read_bytes())
            for p in sorted(folder.rglob("*")) if not p.name.endswith(("-wal", "-shm"))}


def refused(cli, *args: str, says: str):
    result = cli(*args)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("error: ") and says in result.stderr, result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    return result


def ledger_in(folder: Path, name: str = "ledger.db") -> CliHarness:
    folder.mkdir(parents=True, exist_ok=True)
    cli = CliHarness(f"sqlite:///{folder / name}")
    seed_basic(cli)
    return cli


# --- export log --force -------------------------------------------------------------------------
def test_force_never_replaces_the_folder_holding_the_ledger(tmp_path):
    office = tmp_path / "office"
    cli = ledger_in(office / "ledgers")
    (office / "ledgers" / "notes.txt").write_text("keep")
    before = tree(tmp_path)
    for out in (office / "ledgers", office, tmp_path):
        refused(cli, "export", "log", "--out", str(out), "--force", says="ledger's own database file")
    assert tree(tmp_path) == before
    assert cli.ok("verify", json_out=True)["ok"]


def test_force_never_replaces_the_current_folder(seeded, tmp_path, monkeypatch):
    work = tmp_path / "work"
    (work / "scans" / "2020").mkdir(parents=True)
    (work / "scans" / "2020" / "acta.pdf").write_bytes(b"%PDF-1.4 acta")
    (work / "notes.txt").write_text("keep")
    monkeypatch.chdir(work)
    before = tree(tmp_path)
    refused(seeded, "export", "log", "--out", ".", "--force", says="current folder")
    refused(seeded, "export", "log", "--out", "..", "--force", says="--out ..")
    assert tree(tmp_path) == before
    empty = work / "empty"
    empty.mkdir()
    monkeypatch.chdir(empty)
    refused(seeded, "export", "log", "--out", ".", says="current folder")
    assert empty.is_dir() and Path.cwd() == empty


def test_force_refuses_a_folder_with_anything_but_a_bundle(seeded, tmp_path):
    out = tmp_path / "exports" / "bundle"
    out.parent.mkdir()
    seeded.ok("export", "log", "--out", str(out))
    (out / "sub").mkdir()
    (out / "sub" / "keep.txt").write_text("keep")
    (out / "notes.txt").write_text("keep")
    before = tree(tmp_path / "exports")
    result = refused(seeded, "export", "log", "--out", str(out), "--force", says="holds more than an earlier log bundle")
    assert "notes.txt" in result.stderr and "sub/" in result.stderr and "nothing was removed" in result.stderr
    assert tree(tmp_path / "exports") == before


@pytest.mark.parametrize("change", ["extra name", "missing manifest", "manifest lists other files", "link"])
def test_force_refuses_what_only_looks_like_a_bundle(seeded, tmp_path, change):
    out = tmp_path / "exports" / "bundle"
    out.parent.mkdir()
    seeded.ok("export", "log", "--out", str(out))
    if change == "extra name":
        (out / "HEAD.bak").write_text("1:00\n")
    elif change == "missing manifest":
        (out / "SHA256SUMS").rename(tmp_path / "SHA256SUMS")
    elif change == "manifest lists other files":
        (out / "SHA256SUMS").write_text("0" * 64 + "  ledger.db\n")
    else:
        (tmp_path / "precious.txt").write_text("keep")
        (out / "README.txt").unlink()
        (out / "README.txt").symlink_to(tmp_path / "precious.txt")
    before = tree(tmp_path)
    refused(seeded, "export", "log", "--out", str(out), "--force", says="nothing was removed")
    assert tree(tmp_path) == before


def test_force_replaces_an_earlier_bundle(seeded, tmp_path):
    out = tmp_path / "exports" / "bundle"
    out.parent.mkdir()
    seeded.ok("export", "log", "--out", str(out))
    first = (out / "HEAD").read_text()
    seeded.ok("document", "add", "SZ-000001", "--title", "Cuaderno", "--by", "B-1001")
    seeded.ok("export", "log", "--out", str(out), "--force")
    assert (out / "HEAD").read_text() != first and run_verify(out).returncode == 0
    assert [p.name for p in (tmp_path / "exports").iterdir()] == ["bundle"]


def test_log_through_a_link_to_another_folder_is_refused(seeded, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "bundle").symlink_to(elsewhere, target_is_directory=True)
    refused(seeded, "export", "log", "--out", str(tmp_path / "exports" / "bundle"), says="symbolic link")
    assert list(elsewhere.iterdir()) == [] and (tmp_path / "exports" / "bundle").is_symlink()


# --- export xlsx --force ------------------------------------------------------------------------
def test_xlsx_never_replaces_the_ledger_file(tmp_path):
    cli = ledger_in(tmp_path / "office", "case.xlsx")  # a ledger file that happens to end in .xlsx
    ledger = tmp_path / "office" / "case.xlsx"
    os.link(ledger, tmp_path / "office" / "hardlink.xlsx")
    for out in (ledger, tmp_path / "office" / "hardlink.xlsx"):
        refused(cli, "export", "xlsx", CASE, "--out", str(out), "--force", says="ledger's own database file")
    (tmp_path / "office" / "alias.xlsx").symlink_to("case.xlsx")
    refused(cli, "export", "xlsx", CASE, "--out", str(tmp_path / "office" / "alias.xlsx"), "--force",
            says="ledger's own database file")
    assert ledger.read_bytes().startswith(b"SQLite format 3\x00")
    assert cli.ok("verify", json_out=True)["ok"]


def test_xlsx_through_a_link_to_another_folder_is_refused(seeded, tmp_path):
    (tmp_path / "outside").mkdir()
    target = tmp_path / "outside" / "inventory.xlsx"
    target.write_bytes(b"someone else's workbook")
    (tmp_path / "exports").mkdir()
    link = tmp_path / "exports" / "inventory.xlsx"
    link.symlink_to(target)
    refused(seeded, "export", "xlsx", CASE, "--out", str(link), "--force", says="is a symbolic link")
    assert target.read_bytes() == b"someone else's workbook" and link.is_symlink()


def test_xlsx_through_a_link_even_in_the_same_folder_is_refused(seeded, tmp_path):
    target = tmp_path / "inventory-2020.xlsx"
    target.write_bytes(b"old")
    link = tmp_path / "latest.xlsx"
    link.symlink_to(target.name)
    refused(seeded, "export", "xlsx", CASE, "--out", str(link), "--force", "--lang", "en", says="is a symbolic link")
    assert link.is_symlink() and target.read_bytes() == b"old"


def test_xlsx_never_replaces_a_folder(seeded, tmp_path):
    folder = tmp_path / "named.xlsx"
    folder.mkdir()
    (folder / "keep.txt").write_text("keep")
    refused(seeded, "export", "xlsx", CASE, "--out", str(folder), "--force", says="is a folder")
    assert (folder / "keep.txt").read_text() == "keep"


def test_postgresql_ledger_has_no_file_to_protect():
    from ledger.outputs import ledger_file

    assert ledger_file("postgresql+psycopg://u@127.0.0.1/db") is None
    assert ledger_file("sqlite:///:memory:") is None
    assert ledger_file("sqlite:////tmp/x/../ledger.db") == Path(os.path.realpath("/tmp/ledger.db"))
