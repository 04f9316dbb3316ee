"""Every --out refuses a symbolic link: the output never lands where a link points."""

from __future__ import annotations

import os

import pytest

CASE = "AQP-2020-0147"


@pytest.mark.parametrize("args, name", [
    (["checkpoint"], "cp.txt"),
    (["export", "journal"], "cash.journal"),
    (["export", "xlsx", CASE], "case.xlsx"),
    (["export", "log"], "bundle"),
    (["label", "EV-000001"], "labels.pdf"),
    (["export", "custody-form", "EV-000001"], "form.pdf"),
])
def test_out_through_a_symlink_is_refused(seeded, tmp_path, args, name):
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    link = tmp_path / name
    os.symlink(victim, link)
    result = seeded(*args, "--out", str(link), "--force") if args[0] != "checkpoint" else seeded(
        *args, "--out", str(link))
    assert result.exit_code == 1, result.output
    assert "symbolic link" in result.stderr or "already exists" in result.stderr, result.stderr
    assert victim.read_text() == "precious\n" and link.is_symlink()
