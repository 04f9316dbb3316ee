"""A process of the PostgreSQL concurrency test (`python -m tests.reliability.pg_worker`).

`writer` hands random sets of items between officers through the CLI; `reader` reads item
lists, case totals and, in one snapshot, every officer's holdings. Both print one JSON line
of counts and of violations (anything a user should never see, or a read that is not whole).
"""

from __future__ import annotations

import json
import random
import sys

from click.testing import CliRunner

HOLDERS = ["B-1001", "B-1002", "C-3001", "F-2001"]
LEAKS = ("Traceback", "psycopg", "sqlalchemy", "could not serialize", "deadlock", "OperationalError")


def cli(runner: CliRunner, url: str, *args: str):
    from ledger.cli import main

    result = runner.invoke(main, ["--db", url, *args], catch_exceptions=True,
                           env={"EVIDENCE_OFFICER": None, "EVIDENCE_DB": None, "EVIDENCE_TZ": None})
    return result


def _key(badge: str) -> str:
    import os

    return os.path.join(os.environ["XDG_CONFIG_HOME"], "evidence", "keys", f"{badge}.key")


def check_user_output(result, problems: list[str], what: str) -> None:
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        problems.append(f"{what}: exception {type(result.exception).__name__}: {result.exception}")
    for leak in LEAKS:
        if leak in result.stderr:
            problems.append(f"{what}: the user saw {leak!r}: {result.stderr.strip()[:300]}")


def writer(url: str, case: str, seed: int, rounds: int) -> dict:
    rng = random.Random(seed)
    runner = CliRunner()
    out = {"transfers_ok": 0, "refused": 0, "items_moved": 0, "problems": []}
    for n in range(rounds):
        listing = cli(runner, url, "--json", "item", "list", "--case", case)
        check_user_output(listing, out["problems"], "item list")
        items = json.loads(listing.stdout)
        sender = rng.choice(HOLDERS)
        mine = [i["id"] for i in items if i["holder"] == sender]
        if not mine:
            continue
        chosen = rng.sample(mine, min(len(mine), rng.randint(1, 4)))
        if rng.random() < 0.2:  # an item somebody else holds: the whole transfer must be refused
            chosen.append(rng.choice(items)["id"])
        chosen = list(dict.fromkeys(chosen))
        receiver = rng.choice([h for h in HOLDERS if h != sender])
        result = cli(runner, url, "--json", "custody", "transfer", *chosen, "--from", sender, "--to", receiver,
                     "--reason", f"w{seed}-{n}", "--by", sender, "--receiver-key", _key(receiver))
        check_user_output(result, out["problems"], "transfer")
        if result.exit_code == 0:
            out["transfers_ok"] += 1
            out["items_moved"] += len(chosen)
        elif result.exit_code == 1 and result.stderr.startswith("error: "):
            out["refused"] += 1
        else:
            out["problems"].append(f"transfer exit {result.exit_code}: {result.stderr.strip()[:300]}")
    return out


def reader(url: str, case: str, seed: int, rounds: int, expect: dict) -> dict:
    from sqlalchemy.orm import Session

    from ledger.custody import holdings_at
    from ledger.db import make_engine

    runner = CliRunner()
    out = {"reads": 0, "problems": []}
    engine = make_engine(url)
    for n in range(rounds):
        listing = cli(runner, url, "--json", "item", "list", "--case", case)
        check_user_output(listing, out["problems"], "item list")
        items = json.loads(listing.stdout)
        ids = [i["id"] for i in items]
        if sorted(ids) != expect["items"] or any(i["holder"] not in HOLDERS for i in items):
            out["problems"].append(f"read {n}: item list is not each item once with one holder")
        cash: dict[str, str] = {}
        for i in items:
            if i["kind"] == "cash":
                cash[i["currency"]] = str(sum_decimal(cash.get(i["currency"], "0"), i["amount"]))
        if cash != expect["cash"]:
            out["problems"].append(f"read {n}: cash in the item list {cash} != {expect['cash']}")
        show = cli(runner, url, "--json", "case", "show", case)
        check_user_output(show, out["problems"], "case show")
        shown = {c["currency"]: c["amount"] for c in json.loads(show.stdout)["cash"]}
        if shown != expect["cash"]:
            out["problems"].append(f"read {n}: case show cash {shown} != {expect['cash']}")
        totals = cli(runner, url, "--json", "case", "totals", case, "--in", "USD")
        check_user_output(totals, out["problems"], "case totals")
        if json.loads(totals.stdout)["total"] != expect["total_usd"]:
            out["problems"].append(f"read {n}: case totals {json.loads(totals.stdout)['total']} changed")
        # Every officer's holdings in one snapshot: each item exactly once.
        with Session(engine) as session:
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
            held = [h["item"] for b in HOLDERS for h in holdings_at(session, b)["items"]]
            session.rollback()
        if sorted(held) != expect["items"]:
            out["problems"].append(f"read {n}: holdings list {len(held)} entries for {len(expect['items'])} items")
        for b in rng_badges(seed, n):
            h = cli(runner, url, "--json", "custody", "holdings", b)
            check_user_output(h, out["problems"], "holdings")
            listed = [x["item"] for x in json.loads(h.stdout)["items"]]
            if len(listed) != len(set(listed)):
                out["problems"].append(f"read {n}: holdings of {b} lists an item twice")
        out["reads"] += 1
    engine.dispose()
    return out


def rng_badges(seed: int, n: int) -> list[str]:
    return [random.Random(seed * 1000 + n).choice(HOLDERS)]


def sum_decimal(a: str, b: str):
    from decimal import Decimal

    return Decimal(a) + Decimal(b)


if __name__ == "__main__":
    role, url, case, seed, rounds = sys.argv[1:6]
    if role == "writer":
        result = writer(url, case, int(seed), int(rounds))
    else:
        result = reader(url, case, int(seed), int(rounds), json.loads(sys.argv[6]))
    print(json.dumps(result))
