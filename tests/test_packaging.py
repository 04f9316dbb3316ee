"""`pip install .` (the README's first command) installs only the packages setup.cfg lists: every
folder of the ledger that is a package must be listed, or a non-editable install lacks it."""

from __future__ import annotations

import configparser
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_package_folder_is_listed_in_setup_cfg():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    listed = set(cfg["options"]["packages"].split())
    found = {"ledger." + ".".join(p.parent.relative_to(ROOT / "ledger").parts)
             for p in (ROOT / "ledger").rglob("__init__.py") if p.parent != ROOT / "ledger"}
    assert found <= listed, f"not in setup.cfg's packages: {sorted(found - listed)}"


def test_the_language_catalogues_are_package_data():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    data = cfg["options.package_data"]["ledger"]
    assert "locale/*/LC_MESSAGES/*.mo" in data
    assert list((ROOT / "ledger" / "locale").glob("*/LC_MESSAGES/evidence.mo"))
