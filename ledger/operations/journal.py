"""Every movement of seized cash as an hledger journal, so an accounting engine that shares no
code with the ledger can check its sums: registration, transfer, deposit and disposition, with
accounts per holder, per bank account and per case, and the exchange rates as `P` directives.

Built from the log itself (not the current-state tables) as plain data, then written out.
Accounts: `holders:BADGE` (cash an officer holds), `deposits:BANK:ACCOUNT` (cash in a bank),
`seized:CASE` (the case's seized cash, negative: where the cash came from) and
`disposed:CASE:ACTION` (cash that left custody for good).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger.i18n import _
from ledger.models import Event, Rate
from ledger.rules.custody import DEPOSITED, DISPOSED, TRANSFERRED
from ledger.rules.items import REGISTERED

MOVES = (REGISTERED, TRANSFERRED, DEPOSITED, DISPOSED)
BATCH = 5000


@dataclass
class Posting:
    account: str
    minor: int
    currency: str


@dataclass
class Entry:
    date: str
    seq: int
    description: str
    case_no: str
    postings: list[Posting]


@dataclass
class Journal:
    case: str | None
    entries: list[Entry] = field(default_factory=list)
    prices: list[tuple[str, str, str, str, str, int]] = field(default_factory=list)  # date, base, rate, quote, source, seq


def account_part(text: str) -> str:
    """A name as one segment of an hledger account: no colon (the separator), no double space or
    tab (which end the name), no semicolon (a comment)."""
    return re.sub(r"[:;]", ".", _one_line(text)) or "-"


def _holder(badge: str) -> str:
    return f"holders:{account_part(badge)}"


def _bank(data: dict) -> str:
    return f"deposits:{account_part(data['bank'])}:{account_part(data['account'])}"


def _sums(items: list[str], cash: dict) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items:
        minor, currency = cash[item]["minor"], cash[item]["currency"]
        out[currency] = out.get(currency, 0) + minor
    return out


def cash_journal(session: Session, case_no: str | None = None, *, tz: str = "America/Lima") -> Journal:
    """The journal of every cash movement in the log (of one case with `case_no`)."""
    from ledger.money import to_minor
    from ledger.rates import local_date

    journal = Journal(case_no)
    cash: dict[str, dict] = {}  # item -> minor, currency, case, where (account)
    where = Event.type.in_(MOVES)
    if case_no is not None:
        where = where & (Event.case_no == case_no)
    last = 0
    while True:
        rows = session.execute(select(Event.seq, Event.type, Event.occurred_at, Event.body)
                               .where(where, Event.seq > last).order_by(Event.seq).limit(BATCH)).all()
        if not rows:
            break
        last = rows[-1].seq
        for seq, typ, occurred, body in rows:
            doc = json.loads(body)
            data, case = doc["data"], doc["case"]
            day = local_date(occurred, tz).isoformat()
            if typ == REGISTERED:
                if data.get("kind") != "cash":
                    continue
                minor = to_minor(Decimal(data["amount"]), data["currency"])
                cash[data["item"]] = {"minor": minor, "currency": data["currency"], "where": _holder(data["holder"])}
                journal.entries.append(Entry(day, seq, _("registered {item}").format(item=data["item"]), case, [
                    Posting(_holder(data["holder"]), minor, data["currency"]),
                    Posting(f"seized:{account_part(case)}", -minor, data["currency"])]))
                continue
            moved = [i for i in doc["items"] if i in cash]
            if not moved:
                continue
            if typ == TRANSFERRED:
                to = _holder(data["to"])
                what = _("transferred {items} from {giver} to {receiver}").format(
                    items=", ".join(moved), giver=data["from"], receiver=data["to"])
            elif typ == DEPOSITED:
                to = _bank(data)
                what = _("deposited {items}, voucher {voucher}").format(items=", ".join(moved), voucher=data["voucher"])
            else:
                to = f"disposed:{account_part(case)}:{account_part(data['action'])}"
                what = _("disposed of {items} ({action}, {authority})").format(
                    items=", ".join(moved), action=data["action"], authority=data["authority"])
            postings: dict[tuple[str, str], int] = {}
            for item in moved:
                c = cash[item]
                postings[(to, c["currency"])] = postings.get((to, c["currency"]), 0) + c["minor"]
                postings[(c["where"], c["currency"])] = postings.get((c["where"], c["currency"]), 0) - c["minor"]
                c["where"] = to
            journal.entries.append(Entry(day, seq, what, case, [
                Posting(account, minor, currency) for (account, currency), minor in postings.items() if minor]))
    for r in session.scalars(select(Rate).where(Rate.superseded_seq.is_(None), Rate.side == "sell")
                             .order_by(Rate.date, Rate.base, Rate.quote, Rate.seq)):
        journal.prices.append((r.date, r.base, r.rate, r.quote, r.source, r.seq))
    return journal


def _one_line(text: str) -> str:
    """No control or invisible format character, and no line break (which would start a new
    entry): each becomes a space."""
    return re.sub(r"\s+", " ", "".join(" " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch
                                       for ch in str(text))).strip()


def _quote(text: str) -> str:
    """A text as a transaction's description: one line, and no ';', which would end the
    description and begin a comment whose `name:value` words hledger reads as tags (an
    authority 'x; case:LIM' would file the entry under another case). ';' becomes ','."""
    return _one_line(text).replace(";", ",")


def _comment(text: str) -> str:
    """A text inside a comment: one line, and no ':', with which a word would become a tag
    (':' becomes '.', as in account names)."""
    return _one_line(text).replace(":", ".")


def render_journal(journal: Journal) -> str:
    """The hledger journal text: one transaction per movement, in log order, each with its event's
    seq as its code; `P` directives for the sell rates in force."""
    from ledger.money import amount_str

    # The account names (holders:, deposits:, seized:, disposed:) stay as they are in every
    # language, like command names: reports and scripts select them.
    first = (_("Cash movements of the evidence ledger, case {case}, one transaction per event (its seq in "
               "parentheses).").format(case=_comment(journal.case)) if journal.case else
             _("Cash movements of the evidence ledger, one transaction per event (its seq in parentheses)."))
    lines = ["; " + first,
             "; " + _("Accounts: holders:BADGE, deposits:BANK:ACCOUNT, seized:CASE, disposed:CASE:ACTION."),
             "; " + _("P directives: the sell rates recorded in the ledger, superseded ones left out."), ""]
    # Each currency shown with its own minor units (a rate's four decimals would otherwise set them).
    codes = sorted({p.currency for e in journal.entries for p in e.postings}
                   | {c for price in journal.prices for c in (price[1], price[3])})
    lines += [f"commodity {amount_str(100000, code)} {code}" for code in codes]
    if codes:
        lines.append("")
    for date, base, rate, quote, source, seq in journal.prices:
        lines.append(f"P {date} {base} {rate} {quote}  ; "
                     + _("source {source}, event {seq}").format(source=_comment(source), seq=seq))
    if journal.prices:
        lines.append("")
    for e in journal.entries:
        lines.append(f"{e.date} ({e.seq}) {_quote(e.description)}  ; case:{_comment(e.case_no).replace(',', '.')}")
        for p in e.postings:
            lines.append(f"    {p.account}  {amount_str(p.minor, p.currency)} {p.currency}")
        lines.append("")
    return "\n".join(lines)


def export_journal(session: Session, out: str, *, case_no: str | None = None, force: bool = False,
                   database=None, tz: str = "America/Lima") -> dict:
    """Write the cash journal to `out` (a new file ending in .journal), all or nothing."""
    from ledger.i18n import N_
    from ledger.outputs import check_file, staged_file
    from ledger.registry import get_case
    from ledger.verify import require_log_verified, require_verified

    path = check_file(out, force=force, suffix=".journal", example="AQP-2020-0147.journal", database=database)
    if case_no is not None:
        case_no = get_case(session, case_no, "--case").case_no
    if case_no is None:  # every case's cash, from the log itself
        require_log_verified(session, N_("the journal"))
    else:  # the case's events (with the rates' and officers') through the rulebook and their signatures
        require_verified(session, case_no, N_("the journal"))
    journal = cash_journal(session, case_no, tz=tz)
    text = render_journal(journal).encode("utf-8")
    with staged_file(path, out=out, force=force) as tmp:
        tmp.write_bytes(text)
    return {"path": str(path), "case": case_no, "transactions": len(journal.entries), "prices": len(journal.prices),
            "sha256": hashlib.sha256(text).hexdigest(), "bytes": len(text)}


__all__ = ["Journal", "cash_journal", "export_journal", "render_journal"]
