"""Data sets the benchmarks build for themselves: a seeded ledger, a mixed CSV of N items,
and an N-event log. Everything is fictitious and generated, nothing is downloaded."""

from __future__ import annotations

import csv
import os
import shutil
from pathlib import Path

HEADER = ["kind", "amount", "currency", "denominations", "counted-by", "verified-by", "seal", "location",
          "make", "model", "plate", "year", "color", "value", "imei", "imei2", "number", "title", "pages"]
OFFICERS = [("B-1001", "officer"), ("B-1002", "officer"), ("C-3001", "custodian"), ("A-4001", "auditor"),
            ("F-2001", "prosecutor")]
CASE = "BENCH-2020-0001"


def luhn_imei(n: int) -> str:
    body = f"35{n:012d}"
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


def unique_plate(j: int) -> str:
    """The j-th of 6,760,000 distinct plates of the current Peruvian form (A0A-000)."""
    return f"{chr(65 + (j // 1000) % 26)}{(j // 26_000) % 10}{chr(65 + (j // 260_000) % 26)}-{j % 1000:03d}"


def item_row(i: int) -> list[str]:
    """Row i of a mixed file: a quarter each of cash, vehicles, phones and documents."""
    r = dict.fromkeys(HEADER, "")
    k = i % 4
    if k == 0:
        r.update(kind="cash", amount=f"{100 + i % 9000}.50", currency="USD" if i % 8 == 0 else "PEN",
                 denominations="", **{"counted-by": "B-1001", "verified-by": "B-1002"}, seal=f"S-{i:07d}",
                 location="ER-AQP")
    elif k == 1:
        r.update(kind="vehicle", make="Toyota", model="Yaris", plate=unique_plate(i // 4), year="2016",
                 color="gris", value="45000 PEN", location="LOT-1")
    elif k == 2:
        r.update(kind="phone", imei=luhn_imei(i), make="Samsung", model="Galaxy A10", number="+51 959 000 001",
                 seal=f"S-{i:07d}", location="VAULT-1")
    else:
        r.update(kind="document", title=f"Cuaderno de cuentas {i}", pages=str(1 + i % 90), seal=f"S-{i:07d}",
                 location="ER-AQP")
    return [r[h] for h in HEADER]


def write_items_csv(path: Path, n: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(n):
            w.writerow(item_row(i))
    return path


ADMIN = "ADM-1"
KEY_PASSPHRASE = "bench passphrase"


def use_keys(folder: Path) -> None:
    """Every officer of the bench signs with a key of their own in `folder` (this process and the
    `evidence` commands it starts find them there, as an officer's own keys folder)."""
    os.environ["XDG_CONFIG_HOME"] = str(folder)
    os.environ["EVIDENCE_KEY_PASSPHRASE"] = KEY_PASSPHRASE


def public_key(badge: str) -> bytes:
    """The public key of `badge`'s bench key, made on first use."""
    from ledger.identity import keys

    path = keys.default_key_path(badge)
    if path.exists():
        return keys.load_key_file(path, KEY_PASSPHRASE).public_key
    return keys.generate_key_file(path, badge, KEY_PASSPHRASE, make_parents=True).public_key


def add_officers(session, officers: list[tuple[str, str]]) -> None:
    """Start the ledger with its admin (when it has none) and register `officers` (badge, role)
    with their keys."""
    import base64

    from ledger import registry
    from ledger.models import Officer

    if session.get(Officer, ADMIN) is None:
        registry.init_ledger(session, ADMIN, name="Bench admin", unit=None, public_key=public_key(ADMIN))
    for badge, role in officers:
        registry.add_officer(session, badge, name=f"Bench {badge}", role=role, by=ADMIN,
                             public_key=base64.b64encode(public_key(badge)).decode("ascii"))


def seed(url: str, *, officers: int = 0) -> None:
    """Officers of every role (plus `officers` extra holders W-001..), locations, one case and one
    seizure, through the ledger's own functions."""
    from ledger import registry
    from ledger.db import open_ledger

    lg = open_ledger(url)
    try:
        def work(session):
            add_officers(session, list(OFFICERS) + [(f"W-{n:03d}", "officer") for n in range(1, officers + 1)])
            for code, kind in (("ER-AQP", "evidence-room"), ("VAULT-1", "vault"), ("LOT-1", "vehicle-lot")):
                registry.add_location(session, code, name=f"Bench {code}", kind=kind, by=ADMIN)
            registry.open_case(session, CASE, title="Bench case", prosecutor="F-2001", by="B-1001",
                               at="2020-10-06T04:00")
            registry.record_seizure(session, CASE, at="2020-10-06T05:30", place="Bench street 1", by="B-1001")
        lg.write(work)
    finally:
        lg.dispose()


def fresh_sqlite(template: Path, path: Path) -> str:
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def migrated_template(path: Path) -> Path:
    from ledger.db import make_engine
    from ledger.migrate import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path
