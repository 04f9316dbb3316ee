"""Exchange rates as events, and conversions that cite the rate they used.

A rate is recorded once (`rate.set`, or one `rate.imported` event per file) and never edited:
a different value for the same day, pair, side and source must supersede the old one with a
reason, so a figure computed from the old rate can still be recomputed from the log.
Conversions round ROUND_HALF_UP per amount (money.convert_minor); a total is the sum of rounded items.
"""

from __future__ import annotations

import datetime
import shlex
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ledger import money
from ledger.errors import InputError, LedgerError, RuleError
from ledger.events import append_event
from ledger.i18n import N_, _, and_list, ngettext, number, or_list
from ledger.models import Deposit, Item, Rate, Seizure
from ledger.rules.money import RATE_SET, RATES_IMPORTED
from ledger.rules.state import rate_row
from ledger.suggest import closest, did_you_mean
from ledger.validate import check_zone, clean_text, from_utc_iso, parse_date

SIDES = ("buy", "sell", "mid")
DEFAULT_SIDE = "sell"
LOOKBACK_DAYS = 7
MAX_RATE_FILE_BYTES = 5 * 1024 * 1024
MAX_LISTED = 50


# --- value types ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RateUsed:
    """A recorded rate as cited next to a converted figure: 1 `base` = `rate` `quote` on `date`."""

    seq: int
    date: str
    base: str
    quote: str
    rate: str
    side: str
    source: str

    def as_dict(self) -> dict:
        return {"seq": self.seq, "date": self.date, "base": self.base, "quote": self.quote,
                "rate": self.rate, "side": self.side, "source": self.source}

    def citation(self) -> str:
        """One line a person can check: "2020-10-06 1 USD = 3.3333 PEN, sell, source TEST (event 8)"."""
        return _("{date} 1 {base} = {rate} {quote}, {side}, source {source} (event {seq})").format(
            date=self.date, base=self.base, rate=self.rate, quote=self.quote, side=self.side, source=self.source,
            seq=self.seq)


@dataclass(frozen=True)
class ItemValue:
    """One cash item valued in the report currency. `rate` is None when no conversion was needed."""

    item_id: str
    seizure_id: str
    currency: str
    amount_minor: int
    on_date: str
    converted_minor: int
    rate: RateUsed | None
    inverse: bool

    def as_dict(self, in_currency: str) -> dict:
        return {
            "item_id": self.item_id, "seizure_id": self.seizure_id, "currency": self.currency,
            "amount": money.amount_str(self.amount_minor, self.currency), "on_date": self.on_date,
            "converted": money.amount_str(self.converted_minor, in_currency), "converted_currency": in_currency,
            "rate": self.rate.as_dict() if self.rate else None, "inverse": self.inverse,
        }


@dataclass
class CaseTotals:
    """Cash of a case per currency and converted into `in_currency`, with every rate used."""

    case_no: str
    in_currency: str
    side: str
    source: str | None
    per_currency: list[dict]  # {"currency", "minor", "amount", "items", "converted_minor", "converted"}
    items: list[ItemValue]
    total_minor: int
    rates: list[RateUsed]  # distinct, in order of first use
    rounding: str = "ROUND_HALF_UP per item to the minor unit of the report currency; total = sum of rounded items"
    as_of: int | None = None  # event sequence number the figures are as of; None: the current log

    @property
    def total(self) -> str:
        return money.amount_str(self.total_minor, self.in_currency)

    def as_dict(self) -> dict:
        return {
            "case_no": self.case_no, "in_currency": self.in_currency, "side": self.side, "source": self.source,
            "per_currency": [dict(p) for p in self.per_currency],
            "items": [i.as_dict(self.in_currency) for i in self.items],
            "total": self.total, "rates": [r.as_dict() for r in self.rates], "rounding": self.rounding,
            "as_of": self.as_of,
        }


@dataclass(frozen=True)
class CashItem:
    """What valuation needs of a cash item (pure data, so totals can be computed without a database)."""

    item_id: str
    seizure_id: str
    currency: str
    amount_minor: int
    on_date: datetime.date
    deposited: bool = False  # paid into a bank account (the voucher is where the amount is)


# --- checks ---------------------------------------------------------------------------------


def check_side(side: str | None, field: str = "--side") -> str:
    if side is None:
        return DEFAULT_SIDE
    if side not in SIDES:
        raise InputError(_("{field} {side!r} is not a side of a rate. Use one of: buy, sell, mid.").format(
            field=field, side=side))
    return side


def check_source(source: str | None, field: str = "--source") -> str:
    if source is None or not str(source).strip():
        raise InputError(_("{field} is required: every rate names where it comes from, e.g. --source SBS or --source "
                           "BCRP.").format(field=field))
    return clean_text(source, field, max_len=100)


def _optional_source(source: str | None) -> str | None:
    return None if source is None else check_source(source)


def _check_pair(base: str, quote: str, base_field: str = "BASE", quote_field: str = "QUOTE") -> tuple[str, str]:
    base = money.check_currency(base, base_field)
    quote = money.check_currency(quote, quote_field)
    if base == quote:
        raise InputError(_("{base_field} and {quote_field} are both {code}. A rate relates two different "
                           "currencies.").format(base_field=base_field, quote_field=quote_field, code=base))
    return base, quote


def _check_reason(supersede: bool, reason: str | None) -> str | None:
    reason = clean_text(reason, "--reason", max_len=500, required=False)
    if supersede and reason is None:
        raise InputError(_("--supersede needs --reason: say why the recorded rate is replaced, e.g. "
                           "--reason \"SBS published a correction\"."))
    return reason


def _arg(text: str) -> str:
    """A value as it must be typed in a shell, quoted when it holds spaces or quotes."""
    return shlex.quote(text)


def rate_set_command(date: str, base: str, quote: str, side: str, source: str | None) -> str:
    """The command that would add a missing rate, for messages."""
    return (f"evidence rate set {date} {base} {quote} RATE --source {_arg(source) if source else 'SOURCE'} "
            f"--side {side} --by BADGE")


def _quote_pair(from_currency: str, to_currency: str) -> tuple[str, str]:
    """How the pair is usually quoted: soles per foreign unit (USD PEN), else as converted."""
    if from_currency == "PEN":
        return to_currency, from_currency
    return from_currency, to_currency


def _rate_used(row: Rate) -> RateUsed:
    return RateUsed(seq=row.seq, date=row.date, base=row.base, quote=row.quote, rate=row.rate,
                    side=row.side, source=row.source)


def _current(session: Session, date: str, base: str, quote: str, side: str, source: str) -> Rate | None:
    return session.scalars(
        select(Rate).where(Rate.date == date, Rate.base == base, Rate.quote == quote, Rate.side == side,
                           Rate.source == source, Rate.superseded_seq.is_(None))
        .order_by(Rate.seq.desc())
    ).first()


def _rate_dict(date: str, base: str, quote: str, rate: str, side: str) -> dict:
    return {"date": date, "base": base, "quote": quote, "rate": rate, "side": side}


# --- recording ------------------------------------------------------------------------------


def set_rate(
    session: Session, date: str, base: str, quote: str, rate: str, *, source: str | None, by: str | None,
    side: str | None = DEFAULT_SIDE, supersede: bool = False, reason: str | None = None,
) -> dict:
    """Record 1 BASE = RATE QUOTE on DATE. The same value again writes nothing; a different value
    for the same day, pair, side and source needs `supersede` and a reason."""
    from ledger.registry import require_actor

    day = parse_date(date, "DATE").isoformat()
    base, quote = _check_pair(base, quote)
    value = money.parse_rate(rate, "RATE")
    text = money.rate_str(value)
    side = check_side(side)
    source = check_source(source)
    reason = _check_reason(supersede, reason)
    actor = require_actor(session, by, RATE_SET)

    shown = f"{day} 1 {base} = {text} {quote} ({side}, {source})"
    existing = _current(session, day, base, quote, side, source)
    result = {"date": day, "base": base, "quote": quote, "rate": text, "side": side, "source": source}
    if existing is not None and Decimal(existing.rate) == value:
        return {**result, "id": existing.seq, "seq": existing.seq, "rate": existing.rate,
                "status": "already-recorded", "supersedes": None}
    if existing is not None and not supersede:
        raise RuleError(
            _("A {side} rate {base}/{quote} from {source} for {day} is already recorded as {recorded} (event {seq}); "
              "{rate} differs.").format(side=side, base=base, quote=quote, source=source, day=day,
                                        recorded=existing.rate, seq=existing.seq, rate=text),
            hint=_("If {rate} is right, record it with --supersede --reason TEXT; the old rate stays in the "
                   "log.").format(rate=text),
        )
    if existing is None and supersede:
        raise RuleError(
            _("--supersede: no {side} rate {base}/{quote} from {source} is recorded for {day}, so nothing would be "
              "superseded.").format(side=side, base=base, quote=quote, source=source, day=day),
            hint=_("Check the date, pair, side and source with 'evidence rate list', or drop --supersede."),
        )
    data = {**_rate_dict(day, base, quote, text, side), "source": source,
            "supersedes": existing.seq if existing else None, "reason": reason}
    ev = append_event(session, RATE_SET, data, actor=actor.badge)
    session.add(Rate(**rate_row(ev.seq, data, data)))
    if existing is not None:
        existing.superseded_seq = ev.seq
    session.flush()
    return {**result, "id": ev.seq, "seq": ev.seq, "status": "superseded" if existing else "recorded",
            "supersedes": existing.seq if existing else None, "reason": reason, "text": shown}


def import_rates(
    session: Session, data: bytes, file_name: str, *, source: str | None, by: str | None,
    side: str | None = None, supersede: bool = False, reason: str | None = None,
) -> dict:
    """Record every rate of a file in one `rate.imported` event, or nothing.

    Rows already recorded with the same value are left alone (importing a file twice writes
    nothing); rows that contradict a recorded value refuse the whole file unless `supersede`.
    """
    from ledger.ratefiles import file_sha256, parse_rate_file
    from ledger.registry import require_actor

    name = PurePath(file_name).name or file_name
    source = check_source(source)
    if side is not None:
        side = check_side(side)
    reason = _check_reason(supersede, reason)
    if len(data) > MAX_RATE_FILE_BYTES:
        raise InputError(_("rate file {file!r} is {size} bytes, over the limit of {most}. Split it into smaller "
                           "files.").format(file=name, size=number(len(data)), most=number(MAX_RATE_FILE_BYTES)))
    fmt, rows = parse_rate_file(data, name)
    digest = file_sha256(data)
    if fmt.startswith("bcrp") and side is not None and rows[0].side is not None and rows[0].side != side:
        raise InputError(
            _("--side {side} contradicts the BCRP series in {file!r}, whose title says {title_side}. Drop --side, or "
              "import the series of that side.").format(side=side, file=name, title_side=rows[0].side)
        )
    actor = require_actor(session, by, RATE_SET)

    def where(row) -> str:
        if fmt == "bcrp-json":
            return _("period {index}").format(index=row.line)
        return _("line {line}").format(line=row.line)

    # The days a file may carry are those `rate set` accepts: from 1990 up to tomorrow (UTC).
    bad_days: list[str] = []
    for row in rows:
        try:
            parse_date(row.date.isoformat(), _("{where}: date").format(where=where(row)))
        except InputError as exc:
            bad_days.append(exc.message)
    if bad_days:
        raise InputError(ngettext("rate file {file!r} has {n} day(s) the ledger cannot record; nothing was imported.",
                                  "rate file {file!r} has {n} day(s) the ledger cannot record; nothing was imported.",
                                  len(bad_days)).format(file=name, n=len(bad_days)),
                         hint=_("Correct the listed lines and import the file again."), details=_cut(bad_days))

    # Sides are resolved now: row's own side, else --side, else sell. Two rows that become the
    # same key with different values are a contradiction within the file.
    resolved: dict[tuple, tuple] = {}
    problems: list[str] = []
    for row in rows:
        row_side = row.side or side or DEFAULT_SIDE
        key = (row.date.isoformat(), row.base, row.quote, row_side)
        if key in resolved:
            earlier_row = resolved[key][0]
            if earlier_row.rate != row.rate:
                problems.append(_("{where}: {day} {base}/{quote} {side} is {rate} here but {earlier} in "
                                  "{earlier_where}; keep one of them").format(
                    where=where(row), day=key[0], base=row.base, quote=row.quote, side=row_side,
                    rate=money.rate_str(row.rate), earlier=money.rate_str(earlier_row.rate),
                    earlier_where=where(earlier_row)))
            continue
        resolved[key] = (row, row_side)
    if problems:
        raise InputError(_("rate file {file!r} gives two values for the same day and side; nothing was "
                           "imported.").format(file=name),
                         hint=_("Correct the listed lines and import the file again."), details=_cut(problems))

    # One query for the file's date range rather than one per row: a BCRP history can be years long.
    days = [key[0] for key in resolved]
    recorded = {
        (r.date, r.base, r.quote, r.side): r
        for r in session.scalars(
            select(Rate).where(Rate.source == source, Rate.superseded_seq.is_(None),
                               Rate.date >= min(days), Rate.date <= max(days)).order_by(Rate.seq)
        )
    }
    new: list[dict] = []
    superseded: list[Rate] = []
    same = 0
    conflicts: list[str] = []
    for (day, base, quote, row_side), (row, _side) in resolved.items():
        text = money.rate_str(row.rate)
        existing = recorded.get((day, base, quote, row_side))
        if existing is not None and Decimal(existing.rate) == row.rate:
            same += 1
            continue
        entry = _rate_dict(day, base, quote, text, row_side)
        if existing is not None:
            conflicts.append(_("{where}: {day} {base}/{quote} {side} is {rate} in the file but {recorded} is "
                               "recorded from {source} (event {seq})").format(
                where=where(row), day=day, base=base, quote=quote, side=row_side, rate=text,
                recorded=existing.rate, source=source, seq=existing.seq))
            entry["supersedes"] = existing.seq
            superseded.append(existing)
        new.append(entry)
    if conflicts and not supersede:
        raise RuleError(
            ngettext("rate file {file!r} contradicts {n} recorded rate(s); nothing was imported.",
                     "rate file {file!r} contradicts {n} recorded rate(s); nothing was imported.",
                     len(conflicts)).format(file=name, n=len(conflicts)),
            hint=_("If the file is right, import it with --supersede --reason TEXT; the old rates stay in the log."),
            details=_cut(conflicts),
        )
    result = {"file_name": name, "file_sha256": digest, "format": fmt, "source": source,
              "rows": len(resolved), "unchanged": same, "imported": len(new), "superseded": len(superseded)}
    if not new:
        return {**result, "id": None, "seq": None, "status": "already-recorded"}
    data = {"source": source, "file_name": name, "file_sha256": digest, "format": fmt, "reason": reason,
            "rates": new}
    ev = append_event(session, RATES_IMPORTED, data, actor=actor.badge)
    session.add_all([Rate(**rate_row(ev.seq, data, e)) for e in new])
    for old in superseded:
        old.superseded_seq = ev.seq
    session.flush()
    dates = sorted(e["date"] for e in new)
    return {**result, "id": ev.seq, "seq": ev.seq, "status": "imported", "first_date": dates[0],
            "last_date": dates[-1]}


def _cut(lines: list[str]) -> list[str]:
    if len(lines) <= MAX_LISTED:
        return lines
    return [*lines[:MAX_LISTED], _("... and {n} more").format(n=len(lines) - MAX_LISTED)]


# --- reading --------------------------------------------------------------------------------


def list_rates(session: Session, date_from: str | None = None, date_to: str | None = None) -> list[dict]:
    """Every recorded rate, superseded ones included, by date, pair, side, source and event."""
    conditions = []
    if date_from:
        conditions.append(Rate.date >= parse_date(date_from, "--from").isoformat())
    if date_to:
        conditions.append(Rate.date <= parse_date(date_to, "--to").isoformat())
    rows = session.scalars(
        select(Rate).where(*conditions)
        .order_by(Rate.date, Rate.base, Rate.quote, Rate.side, Rate.source, Rate.seq)
    )
    return [
        {"date": r.date, "pair": f"{r.base}/{r.quote}", "base": r.base, "quote": r.quote, "rate": r.rate,
         "side": r.side, "source": r.source, "seq": r.seq, "superseded_by": r.superseded_seq,
         "superseded": r.superseded_seq is not None, "reason": r.reason, "file_sha256": r.file_sha256}
        for r in rows
    ]


def choose_rate(
    candidates: Iterable[RateUsed], on_date: datetime.date, from_currency: str, to_currency: str, side: str,
    source: str | None = None, *, other_sides: Sequence[str] = (),
) -> tuple[RateUsed, bool]:
    """Pick the rate for converting on `on_date`: same day or the latest earlier day within
    LOOKBACK_DAYS, direct (from = base) before inverse on the same day. Returns (rate, inverse).

    `candidates` are current (not superseded) rates; ones outside the window, pair, side or
    source are ignored. Pure, so the rule is testable without a database.
    """
    first = on_date - datetime.timedelta(days=LOOKBACK_DAYS)
    lo, hi = first.isoformat(), on_date.isoformat()
    pair = {(from_currency, to_currency), (to_currency, from_currency)}
    candidates = list(candidates)
    window = [c for c in candidates if lo <= c.date <= hi and (c.base, c.quote) in pair and c.side == side]
    sources = sorted({c.source for c in window})
    base, quote = _quote_pair(from_currency, to_currency)
    if source is not None:
        chosen_source = source
        if source not in sources:
            message = _("No {side} rate {base}/{quote} from {source} for {hi} or the {days} days before ({lo} to "
                        "{hi}).").format(side=side, base=base, quote=quote, source=source, hi=hi, days=LOOKBACK_DAYS,
                                         lo=lo)
            if sources:
                message += " " + _("Rates in that window exist from: {sources}.").format(sources=", ".join(sources))
            # A source typed another way (bcrp for BCRP) is named before a new one is suggested.
            near = closest(source, sorted(sources) or sorted({c.source for c in candidates}))
            command = rate_set_command(hi, base, quote, side, source)
            raise RuleError(
                message,
                hint=did_you_mean([_arg(n) for n in near], "--source ")
                + (_("Otherwise add it with: {command}") if near else _("Add it with: {command}")).format(
                    command=command),
            )
    elif len(sources) > 1:
        options = or_list(f"--source {_arg(s)}" for s in sources)
        raise RuleError(
            _("Several sources have a {side} rate {base}/{quote} for {hi} or the {days} days before: "
              "{sources}.").format(side=side, base=base, quote=quote, hi=hi, days=LOOKBACK_DAYS,
                                   sources=", ".join(sources)),
            hint=_("Say which one to use: pass {options}.").format(options=options),
        )
    elif not sources:
        message = _("No {side} rate {base}/{quote} for {hi} or the {days} days before ({lo} to {hi}).").format(
            side=side, base=base, quote=quote, hi=hi, days=LOOKBACK_DAYS, lo=lo)
        if other_sides:
            message += " " + _("There are {sides} rates in that window: pass {options} to use one.").format(
                sides=and_list(other_sides), options=or_list(f"--side {s}" for s in other_sides))
        raise RuleError(
            message,
            hint=_("Add it with: {command}").format(command=rate_set_command(hi, base, quote, side, None)),
        )
    else:
        chosen_source = sources[0]
    mine = [c for c in window if c.source == chosen_source]
    # Latest day first; on that day a direct quote beats an inverse one; then the newest event.
    best = max(mine, key=lambda c: (c.date, c.base == from_currency, c.seq))
    return best, best.base != from_currency


def find_rate(
    session: Session, date: datetime.date, base_currency: str, target_currency: str, side: str = DEFAULT_SIDE,
    source: str | None = None, as_of: int | None = None,
) -> tuple[RateUsed, bool]:
    """The rate converting `base_currency` into `target_currency` on `date`: (rate, inverse).

    inverse=True means the recorded rate is target/base and the amount is divided by it.
    `as_of` (an event sequence number) looks at the rates as the log stood then: recorded by
    that event and not yet superseded, so a figure reported before a correction comes out again.
    Refuses (RuleError) with the missing date and the `rate set` command that would add it.
    """
    lo = (date - datetime.timedelta(days=LOOKBACK_DAYS)).isoformat()
    hi = date.isoformat()
    a, b = base_currency, target_currency
    pair = or_(and_(Rate.base == a, Rate.quote == b), and_(Rate.base == b, Rate.quote == a))
    if as_of is None:
        current = Rate.superseded_seq.is_(None)
    else:
        current = and_(Rate.seq <= as_of, or_(Rate.superseded_seq.is_(None), Rate.superseded_seq > as_of))
    rows = session.scalars(
        select(Rate).where(pair, Rate.date >= lo, Rate.date <= hi, current)
    ).all()
    candidates = [_rate_used(r) for r in rows]
    other_sides = sorted({c.side for c in candidates if c.side != side})
    return choose_rate(candidates, date, a, b, side, source, other_sides=other_sides)


def local_date(utc_text: str, tz: str) -> datetime.date:
    """The calendar day of a ledger time in zone `tz`: a raid at 23:30 Lima is that day, not UTC's next."""
    return from_utc_iso(utc_text).astimezone(zoneinfo.ZoneInfo(check_zone(tz))).date()


def today(tz: str) -> datetime.date:
    return datetime.datetime.now(zoneinfo.ZoneInfo(check_zone(tz))).date()


def require_verified(session: Session, case_no: str | None, what: str) -> None:
    from ledger.verify import require_verified as check

    check(session, case_no, what)


def convert(
    session: Session, amount: str, currency: str, to: str, *, on: str | None = None, side: str | None = DEFAULT_SIDE,
    source: str | None = None, tz: str = "America/Lima", as_of: str | int | None = None,
) -> dict:
    """Convert AMOUNT CURRENCY into `to` at the rate of `on` (default today in `tz`), citing the rate."""
    currency = money.check_currency(currency, "CURRENCY")
    to = money.check_currency(to, "--to")
    if currency == to:
        raise InputError(_("CURRENCY and --to are both {code}; there is nothing to convert. Give another currency "
                           "with --to, e.g. --to USD.").format(code=currency))
    value = money.parse_amount(amount, currency, "AMOUNT")
    minor = money.to_minor(value, currency)
    day = parse_date(on, "--on") if on else today(tz)
    side = check_side(side)
    source = _optional_source(source)
    as_of = check_as_of(session, as_of)
    require_verified(session, None, N_("the conversion"))
    rate, inverse = find_rate(session, day, currency, to, side, source, as_of=as_of)
    converted = money.convert_minor(minor, currency, to, Decimal(rate.rate), inverse=inverse)
    op = "/" if inverse else "*"
    return {
        "amount": money.amount_str(minor, currency), "currency": currency, "amount_minor": minor,
        "to": to, "converted": money.amount_str(converted, to), "converted_minor": converted,
        "on": day.isoformat(), "rate": rate.as_dict(), "inverse": inverse,
        "formula": f"{money.amount_str(minor, currency)} {op} {rate.rate}", "rounding": "ROUND_HALF_UP",
        "as_of": as_of,
    }


def check_as_of(session: Session, as_of: str | int | None) -> int | None:
    """`--as-of SEQ`: an event sequence number of this ledger (1 to the head), or None."""
    if as_of is None:
        return None
    from ledger.events import head_of

    text = str(as_of).strip()
    head = head_of(session)[0]
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= head:
        raise InputError(
            _("--as-of {value!r} is not an event of this ledger.").format(value=text[:40]),
            hint=_("Give an event sequence number from 1 to {head}, such as the one a report cites.").format(head=head),
        )
    return int(text)


# --- case totals ----------------------------------------------------------------------------


Lookup = Callable[[datetime.date, str, str], tuple[RateUsed, bool]]


def value_cash(
    case_no: str, cash: Sequence[CashItem], lookup: Lookup, *, in_currency: str = "USD", side: str = DEFAULT_SIDE,
    source: str | None = None,
) -> CaseTotals:
    """Value each cash item in `in_currency` with `lookup(date, from, to)`; every missing rate is
    reported at once. Pure apart from `lookup`."""
    values: list[ItemValue] = []
    rates: dict[tuple[int, str, str, str, str, str], RateUsed] = {}
    problems: list[str] = []
    commands: list[str] = []
    for item in cash:
        if item.currency == in_currency:
            values.append(ItemValue(item.item_id, item.seizure_id, item.currency, item.amount_minor,
                                    item.on_date.isoformat(), item.amount_minor, None, False))
            continue
        try:
            rate, inverse = lookup(item.on_date, item.currency, in_currency)
        except LedgerError as exc:
            shown = f"{money.amount_str(item.amount_minor, item.currency)} {item.currency}"
            problems.append(_("item {item} ({amount}, seized {date}): {problem}").format(
                item=item.item_id, amount=shown, date=item.on_date.isoformat(), problem=exc.message))
            if exc.hint and exc.hint not in commands:
                commands.append(exc.hint)
            continue
        converted = money.convert_minor(item.amount_minor, item.currency, in_currency, Decimal(rate.rate),
                                        inverse=inverse)
        rates.setdefault((rate.seq, rate.date, rate.base, rate.quote, rate.side, rate.source), rate)
        values.append(ItemValue(item.item_id, item.seizure_id, item.currency, item.amount_minor,
                                item.on_date.isoformat(), converted, rate, inverse))
    if problems:
        raise RuleError(
            ngettext("Case {case}: {n} cash item cannot be valued in {currency}; nothing was totalled.",
                     "Case {case}: {n} cash items cannot be valued in {currency}; nothing was totalled.",
                     len(problems)).format(case=case_no, n=number(len(problems)), currency=in_currency),
            details=_cut(problems), hint="\n".join(commands) or None,
        )
    per: dict[str, dict] = {}
    deposited = {item.item_id for item in cash if item.deposited}
    for v in values:
        entry = per.setdefault(v.currency, {"currency": v.currency, "minor": 0, "items": 0, "converted_minor": 0,
                                            "deposited_minor": 0, "deposited_items": 0})
        entry["minor"] += v.amount_minor
        entry["items"] += 1
        entry["converted_minor"] += v.converted_minor
        if v.item_id in deposited:
            entry["deposited_minor"] += v.amount_minor
            entry["deposited_items"] += 1
    per_currency = [currency_figures(per[code], in_currency) for code in sorted(per)]
    return CaseTotals(
        case_no=case_no, in_currency=in_currency, side=side, source=source, per_currency=per_currency,
        items=values, total_minor=sum(v.converted_minor for v in values), rates=list(rates.values()),
    )


def currency_figures(entry: dict, in_currency: str) -> dict:
    """One currency's line of the totals from its sums (`minor`, `items`, `converted_minor`,
    `deposited_minor`, `deposited_items`): the amounts as text, and what is not deposited."""
    code = entry["currency"]
    undeposited = entry["minor"] - entry["deposited_minor"]
    return {**entry, "undeposited_minor": undeposited, "amount": money.amount_str(entry["minor"], code),
            "converted": money.amount_str(entry["converted_minor"], in_currency),
            "deposited": money.amount_str(entry["deposited_minor"], code),
            "undeposited": money.amount_str(undeposited, code)}


def cash_items(session: Session, case_no: str, tz: str, as_of: int | None = None) -> list[CashItem]:
    registered = [Item.registered_seq <= as_of] if as_of is not None else []
    # A deposit recorded after `as_of` had not happened yet as the log stood then.
    deposit = Deposit.item_no == Item.no if as_of is None else (Deposit.item_no == Item.no) & (Deposit.seq <= as_of)
    rows = session.execute(
        select(Item.id, Seizure.id, Item.currency, Item.amount_minor, Seizure.occurred_at, Deposit.seq)
        .join(Seizure, Seizure.no == Item.seizure_no)
        .outerjoin(Deposit, deposit)
        .where(Item.case_no == case_no, Item.kind == "cash", *registered).order_by(Item.no)
    ).all()
    return [CashItem(item_id, seizure_id, cur, int(minor), local_date(at, tz), deposit_seq is not None)
            for item_id, seizure_id, cur, minor, at, deposit_seq in rows]


def case_totals(
    session: Session, case_no: str, *, in_currency: str = "USD", side: str = DEFAULT_SIDE,
    source: str | None = None, tz: str = "America/Lima", as_of: str | int | None = None,
) -> CaseTotals:
    """Cash of the case per currency and in `in_currency`, each item at the rate of its seizure's
    day in `tz`. Refuses, naming every item, date and command, when a rate is missing.

    `as_of` (an event sequence number) values the case as the log stood after that event:
    the cash registered by then, at the rates current then."""
    from ledger.registry import get_case

    in_currency = money.check_currency(in_currency, "--in")
    side = check_side(side)
    source = _optional_source(source)
    case = get_case(session, case_no)
    as_of = check_as_of(session, as_of)
    require_verified(session, case.case_no, N_("the totals"))
    items = cash_items(session, case.case_no, tz, as_of)

    def lookup(day: datetime.date, from_currency: str, to_currency: str) -> tuple[RateUsed, bool]:
        return find_rate(session, day, from_currency, to_currency, side, source, as_of=as_of)

    totals = value_cash(case.case_no, items, lookup, in_currency=in_currency, side=side, source=source)
    totals.as_of = as_of
    return totals


__all__ = [
    "CaseTotals", "CashItem", "ItemValue", "RateUsed", "case_totals", "choose_rate", "convert", "find_rate",
    "import_rates", "list_rates", "set_rate", "value_cash",
]
