"""The cash journal, checked by hledger (an accounting engine that shares no code with the
ledger): per holder and currency its balances equal `custody holdings`, per case they equal
`case totals` (deposited apart), on the demo and on random ledgers. Skips where hledger is not
installed (Debian: apt-get install hledger; CI installs it)."""

from __future__ import annotations

import csv
import io
import random
import shutil
import subprocess
from decimal import Decimal

import pytest

from tests.cli.test_peru_workflow import BANK, peru
from tests.helpers import rows

HLEDGER = shutil.which("hledger")
needs_hledger = pytest.mark.skipif(HLEDGER is None, reason="hledger is not installed (apt-get install hledger)")


def hledger_balances(journal) -> dict[tuple[str, str], Decimal]:
    """(account, commodity) -> balance, as hledger computes it from the file."""
    out = subprocess.run([HLEDGER, "-f", str(journal), "balance", "--flat", "-N", "-O", "csv", "--layout=bare"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return {(r["account"], r["commodity"]): Decimal(r["balance"]) for r in csv.DictReader(io.StringIO(out))}


def ledger_figures(cli, db_url) -> dict[tuple[str, str], Decimal]:
    """The same figures from the ledger's own commands: each holder's cash (custody holdings,
    valued with the items' amounts), each case's seized cash and deposited cash (case totals)."""
    amounts = {r.id: (Decimal(r.amount_minor) / 100, r.currency)
               for r in rows(db_url, "SELECT id, amount_minor, currency FROM items WHERE kind = 'cash'")}
    out: dict[tuple[str, str], Decimal] = {}
    for badge, in rows(db_url, "SELECT badge FROM officers"):
        for held in cli.ok("custody", "holdings", badge, json_out=True)["items"]:
            if held["item"] in amounts:
                value, currency = amounts[held["item"]]
                key = (f"holders:{badge}", currency)
                out[key] = out.get(key, Decimal(0)) + value
    for case_no, in rows(db_url, "SELECT case_no FROM cases"):
        for p in cli.ok("case", "totals", case_no, "--in", "PEN", json_out=True)["per_currency"]:
            out[(f"seized:{case_no}", p["currency"])] = -Decimal(p["amount"])
            out[(f"deposited:{case_no}", p["currency"])] = Decimal(p["deposited"])
    return {k: v for k, v in out.items() if v}


def journal_figures(balances: dict, db_url) -> dict[tuple[str, str], Decimal]:
    """hledger's balances, with the deposit accounts summed per case (a bank account may hold
    the cash of several cases, so the case comes from the deposits table)."""
    out = {k: v for k, v in balances.items() if k[0].startswith(("holders:", "seized:")) and v}
    deposit_cases = {(r.bank, r.account, r.case_no) for r in rows(db_url, "SELECT bank, account, case_no FROM deposits")}
    banks = {}
    for bank, account, case_no in deposit_cases:
        banks.setdefault(f"deposits:{bank}:{account}", set()).add(case_no)
    for (account, currency), value in balances.items():
        if account.startswith("deposits:") and value:
            [case_no] = banks[account]  # the tests give each case its own bank account
            out[(f"deposited:{case_no}", currency)] = out.get((f"deposited:{case_no}", currency), 0) + value
    return out


@needs_hledger
def test_the_demo_journal_balances_as_the_ledger_says(cli, db_url, tmp_path):
    cli.ok("demo", "--out", str(tmp_path / "demo.xlsx"))
    cli.ok("export", "journal", "--out", str(tmp_path / "demo.journal"))
    subprocess.run([HLEDGER, "-f", str(tmp_path / "demo.journal"), "check"], check=True, timeout=60)
    balances = hledger_balances(tmp_path / "demo.journal")
    assert journal_figures(balances, db_url) == ledger_figures(cli, db_url)
    assert sum(balances.values()) == 0


@needs_hledger
def test_deposits_transfers_and_disposals_in_the_journal(seeded, db_url, tmp_path):
    peru(seeded)
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    seeded.ok("custody", "deposit", "EV-3", *BANK, "--voucher", "0457812", "--at", "2020-10-07T11:00",
              "--by", "C-3001")
    seeded.ok("custody", "dispose", "EV-4", "--action", "forfeited", "--authority", "Sentencia 4-2022",
              "--by", "F-2001")
    done = seeded.ok("export", "journal", "--case", "AQP-2020-0147", "--out", str(tmp_path / "c.journal"),
                     json_out=True)
    assert done["transactions"] == 5 and done["prices"] == 1
    text = (tmp_path / "c.journal").read_text(encoding="utf-8")
    assert "P 2020-10-06 USD 3.5870 PEN" in text and "voucher 0457812" in text
    balances = hledger_balances(tmp_path / "c.journal")
    # Nobody holds cash any more: hledger lists only the non-zero balances.
    assert balances == {
        ("deposits:Banco de la Nación:00-068-123456", "PEN"): Decimal("4000.00"),
        ("disposed:AQP-2020-0147:forfeited", "USD"): Decimal("250.00"),
        ("seized:AQP-2020-0147", "PEN"): Decimal("-4000.00"), ("seized:AQP-2020-0147", "USD"): Decimal("-250.00"),
    }
    assert journal_figures(balances, db_url) == ledger_figures(seeded, db_url)


@needs_hledger
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_ledgers_balance_as_the_ledger_says(seeded, db_url, tmp_path, seed):
    """Random registrations, transfers, deposits and disposals of cash among three holders."""
    rng = random.Random(seed)
    seeded.ok("rate", "set", "2020-10-06", "USD", "PEN", "3.5870", "--source", "SBS", "--by", "B-1001")
    holders = {}
    for n in range(1, 13):
        badge = rng.choice(["B-1001", "B-1002", "C-3001"])
        cents = rng.randint(1, 5_000_000)
        seeded.ok("cash", "add", "SZ-1", "--amount", f"{cents // 100}.{cents % 100:02d}", "--currency",
                  rng.choice(["PEN", "USD"]), "--counted-by", "B-1001", "--verified-by", "B-1002", "--by",
                  "B-1001" if badge == "C-3001" else badge, "--at", "2020-10-06T06:00")
        holders[f"EV-{n:06d}"] = "B-1001" if badge == "C-3001" else badge
    minute = 0
    for _ in range(25):
        minute += 7
        at = f"2020-10-07T{8 + minute // 60:02d}:{minute % 60:02d}"
        live = [i for i, h in holders.items() if h is not None]
        if not live:
            break
        item = rng.choice(live)
        act = rng.random()
        if act < 0.6:
            to = rng.choice([b for b in ("B-1001", "B-1002", "C-3001") if b != holders[item]])
            seeded.ok("custody", "transfer", item, "--from", holders[item], "--to", to, "--reason", "x", "--at", at,
                      "--by", holders[item])
            holders[item] = to
        elif act < 0.85:
            seeded.ok("custody", "deposit", item, *BANK, "--voucher", f"V{minute}", "--at", at, "--by", holders[item])
            holders[item] = None
        else:
            seeded.ok("custody", "dispose", item, "--action", "forfeited", "--authority", "Res. 1", "--at", at,
                      "--by", "F-2001")
            holders[item] = None
    seeded.ok("export", "journal", "--out", str(tmp_path / "r.journal"))
    balances = hledger_balances(tmp_path / "r.journal")
    assert journal_figures(balances, db_url) == ledger_figures(seeded, db_url)
    assert seeded.ok("verify", json_out=True)["ok"]


def test_refused_outputs_write_nothing(seeded, tmp_path):
    tmp_path = tmp_path / "out"
    tmp_path.mkdir()
    (tmp_path / "old.journal").write_text("kept", encoding="utf-8")
    for argv, needle in [
        (["export", "journal", "--out", str(tmp_path / "x.txt")], ".journal"),
        (["export", "journal", "--out", str(tmp_path / "old.journal")], "already exists"),
        (["export", "journal", "--out", str(tmp_path / "no" / "x.journal")], "does not exist"),
        (["export", "journal", "--case", "NOPE-1", "--out", str(tmp_path / "n.journal")], "NOPE-1"),
    ]:
        result = seeded(*argv)
        assert result.exit_code == 1 and needle in result.stderr, (argv, result.stderr)
    assert (tmp_path / "old.journal").read_text(encoding="utf-8") == "kept"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.journal"]
