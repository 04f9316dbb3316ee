"""The case inventory as plain data: what a prosecutor's workbook says, before any spreadsheet.

`case_inventory` reads the header, seizures, counts, cash totals and the ledger head at once;
item and custody rows are iterators that read the database in batches, so a writer can stream
a large case with flat memory: nothing is held per item (the cash totals are summed batch by
batch, and each cash row is valued again with its batch, at the same cached rates). Values are
typed (Decimal, int, naive local datetime, str); the writer decides how they look. Nothing here
knows openpyxl.
"""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger.models import Deposit, Event, EventItem, Item, Officer, Seizure
from ledger.rules.custody import DISPOSED, RESEALED, TRANSFERRED
from ledger.rules.items import REGISTERED, REVIEW_SET

BATCH = 500


@dataclass(frozen=True)
class Column:
    """One column of an item or custody sheet. `type` is text, int, money, rate, date or datetime;
    a money column takes its currency from the row's `currency_key` (or `currency` when fixed)."""

    key: str
    type: str = "text"
    currency_key: str | None = None
    width: int = 14


_TRAIL = (
    Column("seal", width=14), Column("holder", width=11), Column("holder_name", width=26),
    Column("location", width=12), Column("status", width=13), Column("registered_at", "datetime", width=17),
    Column("last_at", "datetime", width=17), Column("disposition", width=14), Column("authority", width=24),
    Column("disposed_to", width=24),
)

SHEET_COLUMNS: dict[str, tuple[Column, ...]] = {
    "cash": (
        Column("item", width=11), Column("seizure", width=11), Column("amount", "money", "currency", width=16),
        Column("currency", width=9), Column("denominations", width=24), Column("counted_by", width=11),
        Column("verified_by", width=11), Column("rate", "rate", width=11), Column("rate_pair", width=10),
        Column("rate_date", "date", width=11), Column("rate_side", width=8), Column("rate_source", width=12),
        Column("rate_seq", "int", width=9), Column("converted", "money", "in_currency", width=16), *_TRAIL,
    ),
    "vehicle": (
        Column("item", width=11), Column("seizure", width=11), Column("make", width=16), Column("model", width=16),
        Column("plate", width=10), Column("plate_kind", width=8), Column("vin", width=20), Column("year", "int", width=7),
        Column("color", width=12), Column("value", "money", "value_currency", width=16),
        Column("value_currency", width=9), *_TRAIL,
    ),
    "phone": (
        Column("item", width=11), Column("seizure", width=11), Column("make", width=14), Column("model", width=18),
        Column("imei", width=17), Column("imei2", width=17), Column("number", width=17), *_TRAIL,
    ),
    "document": (
        Column("item", width=11), Column("seizure", width=11), Column("title", width=40), Column("pages", "int", width=8),
        Column("file_name", width=24), Column("file_sha256", width=66), Column("file_size", "int", width=12), *_TRAIL,
    ),
    "custody": (
        Column("seq", "int", width=8), Column("at", "datetime", width=17), Column("item", width=11),
        Column("action", width=16), Column("from", width=11), Column("to", width=24), Column("reason", width=36),
        Column("location", width=12), Column("seal", width=14), Column("old_seal", width=14),
        Column("by", width=11), Column("recorded_at", "datetime", width=17), Column("hash", width=66),
    ),
}
ITEM_KINDS = ("cash", "vehicle", "phone", "document")


@dataclass
class CaseInventory:
    """Everything the workbook states about one case at one moment of the ledger."""

    case_no: str
    title: str
    prosecutor: str | None
    prosecutor_name: str | None
    court: str | None
    opened_at: datetime
    tz: str
    seizures: list[dict]
    counts: dict[str, dict[str, int]]  # kind -> status -> n
    totals: object  # ledger.rates.CaseTotals, without the per-item list (each cash row carries its value)
    head_seq: int
    head_hash: str
    exported_at: datetime  # naive, in tz
    exported_by: str | None
    exported_by_name: str | None
    custody_count: int
    verified: bool = True  # checked against a replay of the log up to head_seq
    _session: Session = field(repr=False, default=None)
    _officers: dict[str, str] = field(repr=False, default_factory=dict)
    _lookup: object = field(repr=False, default=None)  # cached rate lookup shared by the totals and the rows

    def item_count(self, kind: str) -> int:
        return sum(self.counts.get(kind, {}).values())

    def row_total(self) -> int:
        return sum(self.item_count(k) for k in ITEM_KINDS) + self.custody_count

    def rows(self, sheet: str) -> Iterator[dict]:
        """The rows of one sheet ('cash', 'vehicle', 'phone', 'document' or 'custody'), streamed."""
        if sheet == "custody":
            return iter_custody_rows(self._session, self.case_no, self.head_seq, self.tz, self._officers)
        return iter_item_rows(self._session, self.case_no, sheet, self.head_seq, self.tz, self._officers,
                              self.totals if sheet == "cash" else None, lookup=self._lookup)


def local_naive(utc_text: str | None, tz: str) -> datetime | None:
    """A ledger time as a naive datetime in `tz`: spreadsheets have no zones, so the zone
    goes in the column header instead."""
    if not utc_text:
        return None
    from ledger.validate import from_utc_iso

    return from_utc_iso(utc_text).astimezone(zoneinfo.ZoneInfo(tz)).replace(tzinfo=None)


def local_converter(tz: str, size: int = 4096) -> Callable[[str | None], datetime | None]:
    """`local_naive` for one zone, remembering up to `size` recent times (events of one batch
    often share their second)."""
    from ledger.validate import from_utc_iso

    zone = zoneinfo.ZoneInfo(tz)
    seen: dict[str, datetime] = {}

    def convert(utc_text: str | None) -> datetime | None:
        if not utc_text:
            return None
        value = seen.get(utc_text)
        if value is None:
            if len(seen) >= size:
                seen.clear()
            value = seen[utc_text] = from_utc_iso(utc_text).astimezone(zone).replace(tzinfo=None)
        return value

    return convert


def rate_lookup(session: Session, side: str, source: str | None):
    """`ledger.rates.find_rate` remembered per (day, from, to): a case's cash has a handful of
    seizure days and currencies, not one rate query per item. A refusal is remembered too."""
    from ledger.errors import LedgerError
    from ledger.rates import find_rate

    seen: dict[tuple, tuple] = {}

    def lookup(day, from_currency: str, to_currency: str):
        key = (day, from_currency, to_currency)
        hit = seen.get(key)
        if hit is None:
            try:
                hit = seen[key] = (find_rate(session, day, from_currency, to_currency, side, source), None)
            except LedgerError as exc:
                hit = seen[key] = (None, exc)
        if hit[1] is not None:
            raise hit[1]
        return hit[0]

    return lookup


def _cash_page(session: Session, case_no: str, head_seq: int | None, after: int | None, batch: int) -> list:
    cond = [Item.case_no == case_no, Item.kind == "cash"]
    if head_seq is not None:
        cond.append(Item.registered_seq <= head_seq)
    if after is not None:
        cond.append(Item.no > after)
    deposit = Deposit.item_no == Item.no
    if head_seq is not None:
        deposit = deposit & (Deposit.seq <= head_seq)
    return session.execute(
        select(Item.no, Item.id, Seizure.id, Item.currency, Item.amount_minor, Seizure.occurred_at, Deposit.seq)
        .join(Seizure, Seizure.no == Item.seizure_no).outerjoin(Deposit, deposit)
        .where(*cond).order_by(Item.no).limit(batch)
    ).all()


def _cash_items(page: list, tz: str, days: dict) -> list:
    """`ledger.rates.CashItem`s of one page of `_cash_page`, the seizure day in `tz` (as `cash_items`)."""
    from ledger.rates import CashItem, local_date

    out = []
    for _no, item_id, seizure_id, currency, minor, at, deposit_seq in page:
        day = days.get(at)
        if day is None:
            day = days[at] = local_date(at, tz)
        out.append(CashItem(item_id, seizure_id, currency, int(minor), day, deposit_seq is not None))
    return out


def stream_totals(
    session: Session, case_no: str, lookup, *, in_currency: str, side: str, source: str | None, tz: str,
    batch: int | None = None,
):
    """The case's cash totals as `ledger.rates.case_totals` gives them, valued batch by batch with
    `ledger.rates.value_cash` (the same rounding, the same rates), so no list of every item is held.
    The returned CaseTotals has `items=[]`. Any missing rate: the refusal of `case_totals` itself,
    which names every item at once."""
    from ledger.errors import RuleError
    from ledger.rates import CaseTotals, case_totals, currency_figures, value_cash

    per: dict[str, dict] = {}
    rates: dict[tuple, object] = {}
    total_minor = 0
    days: dict[str, object] = {}
    batch = batch or BATCH
    after = None
    while True:
        page = _cash_page(session, case_no, None, after, batch)
        if not page:
            break
        after = page[-1][0]
        try:
            part = value_cash(case_no, _cash_items(page, tz, days), lookup, in_currency=in_currency, side=side,
                              source=source)
        except RuleError:
            case_totals(session, case_no, in_currency=in_currency, side=side, source=source, tz=tz)
            raise
        total_minor += part.total_minor
        for p in part.per_currency:
            entry = per.setdefault(p["currency"], {"currency": p["currency"], "minor": 0, "items": 0,
                                                   "converted_minor": 0, "deposited_minor": 0, "deposited_items": 0})
            for key in ("minor", "items", "converted_minor", "deposited_minor", "deposited_items"):
                entry[key] += p[key]
        for r in part.rates:
            rates.setdefault((r.seq, r.date, r.base, r.quote, r.side, r.source), r)
    per_currency = [currency_figures(per[code], in_currency) for code in sorted(per)]
    return CaseTotals(case_no=case_no, in_currency=in_currency, side=side, source=source, per_currency=per_currency,
                      items=[], total_minor=total_minor, rates=list(rates.values()))


def case_inventory(
    session: Session, case_no: str, *, in_currency: str = "USD", side: str = "sell", source: str | None = None,
    tz: str = "America/Lima", by: str | None = None, now: datetime | None = None, verified: bool = True,
) -> CaseInventory:
    """Read the case's header, seizures, counts, cash totals and the ledger head; the rows
    follow lazily through `CaseInventory.rows`. Call inside one read transaction: on
    PostgreSQL the session is switched to REPEATABLE READ so every batch sees the same ledger.

    The case's rows are checked against a replay of its events first, and a difference is
    refused; `verified=False` skips that, and the workbook says NOT VERIFIED on every sheet."""
    from ledger import money
    from ledger.events import head_of, now_utc
    from ledger.rates import check_side, check_source
    from ledger.registry import get_case, get_officer, seizure_dict
    from ledger.validate import check_zone, utc_iso

    tz = check_zone(tz)
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    exporter = get_officer(session, by, "--by") if by else None
    case = get_case(session, case_no)
    if verified:
        from ledger.i18n import N_, _
        from ledger.verify import require_verified

        require_verified(session, case.case_no, N_("the workbook"),
                         anyway=_("To make a workbook anyway, stamped NOT VERIFIED on every sheet, add --unverified."))
    head_seq, head_hash = head_of(session)
    in_currency = money.check_currency(in_currency, "--in")
    side = check_side(side)
    source = None if source is None else check_source(source)
    lookup = rate_lookup(session, side, source)
    totals = stream_totals(session, case.case_no, lookup, in_currency=in_currency, side=side, source=source, tz=tz)
    officers = dict(session.execute(select(Officer.badge, Officer.name)).all())
    seizures = []
    for s in session.scalars(select(Seizure).where(Seizure.case_no == case.case_no).order_by(Seizure.no)):
        d = seizure_dict(s)
        d["at"] = local_naive(d["at"], tz)
        d["officer_name"] = officers.get(s.officer)
        seizures.append(d)
    counts: dict[str, dict[str, int]] = {}
    for kind, status, n in session.execute(
        select(Item.kind, Item.status, func.count()).where(Item.case_no == case.case_no, Item.registered_seq <= head_seq)
        .group_by(Item.kind, Item.status)
    ):
        counts.setdefault(kind, {})[status] = int(n)
    custody_count = session.scalar(
        select(func.count()).select_from(EventItem).join(Item, Item.no == EventItem.item_no)
        .where(Item.case_no == case.case_no, EventItem.seq <= head_seq)
    ) or 0
    return CaseInventory(
        case_no=case.case_no, title=case.title, prosecutor=case.prosecutor,
        prosecutor_name=officers.get(case.prosecutor) if case.prosecutor else None, court=case.court,
        opened_at=local_naive(case.opened_at, tz), tz=tz, seizures=seizures, counts=counts, totals=totals,
        head_seq=head_seq, head_hash=head_hash,
        exported_at=local_naive(utc_iso(now or now_utc()), tz),
        exported_by=exporter.badge if exporter else None, exported_by_name=exporter.name if exporter else None,
        custody_count=int(custody_count), verified=verified, _session=session, _officers=officers, _lookup=lookup,
    )


def iter_item_rows(
    session: Session, case_no: str, kind: str, head_seq: int, tz: str, officers: dict[str, str],
    totals=None, batch: int | None = None, lookup=None,
) -> Iterator[dict]:
    """Items of one kind in evidence-number order, as typed row dicts keyed like SHEET_COLUMNS.
    Cash rows are valued page by page with `ledger.rates.value_cash`, at `totals`' currency,
    side and source (`lookup`: a cached rate lookup, see `rate_lookup`)."""
    from ledger.money import from_minor
    from ledger.rates import value_cash

    batch = batch or BATCH
    in_currency = totals.in_currency if totals is not None else None
    if totals is not None and lookup is None:
        lookup = rate_lookup(session, totals.side, totals.source)
    seizure_ids = dict(session.execute(select(Seizure.no, Seizure.id).where(Seizure.case_no == case_no)).all())
    local = local_converter(tz)
    days: dict[str, object] = {}
    rate_cells: dict[int, tuple] = {}
    cols = Item.__table__.c
    query = select(Item.__table__, Event.occurred_at.label("registered_occurred_at"),
                   Seizure.occurred_at.label("seizure_at")).join(Event, Event.seq == cols.registered_seq) \
        .join(Seizure, Seizure.no == cols.seizure_no)
    after = None
    while True:
        cond = [cols.case_no == case_no, cols.kind == kind, cols.registered_seq <= head_seq]
        if after is not None:
            cond.append(cols.no > after)
        page = session.execute(query.where(*cond).order_by(cols.no).limit(batch)).all()
        if not page:
            return
        after = page[-1].no
        values = None
        if kind == "cash" and totals is not None:
            cash = _cash_items([(r.no, r.id, None, r.currency, r.amount_minor, r.seizure_at,
                                 True if r.status == "deposited" else None) for r in page], tz, days)
            values = value_cash(case_no, cash, lookup, in_currency=in_currency, side=totals.side,
                                source=totals.source).items
        for i, it in enumerate(page):
            holder = it.holder
            row = {
                "item": it.id, "seizure": seizure_ids.get(it.seizure_no), "seal": it.seal, "holder": holder,
                "holder_name": officers.get(holder) if holder else None, "location": it.location,
                "status": it.status, "registered_at": local(it.registered_occurred_at), "last_at": local(it.last_at),
                "disposition": it.disposition, "authority": it.authority, "disposed_to": it.disposed_to,
            }
            if kind == "cash":
                value = values[i] if values is not None else None
                rate = value.rate if value else None
                if rate is not None:
                    cells = rate_cells.get(id(rate))
                    if cells is None or cells[0] is not rate:
                        cells = rate_cells[id(rate)] = (rate, Decimal(rate.rate), f"{rate.base}/{rate.quote}",
                                                         date.fromisoformat(rate.date))
                else:
                    cells = (None, None, None, None)
                row.update(
                    amount=from_minor(it.amount_minor, it.currency), currency=it.currency,
                    denominations=it.denominations, counted_by=it.counted_by, verified_by=it.verified_by,
                    in_currency=in_currency,
                    converted=from_minor(value.converted_minor, in_currency) if value else None,
                    rate=cells[1], rate_pair=cells[2], rate_date=cells[3],
                    rate_side=rate.side if rate else None, rate_source=rate.source if rate else None,
                    rate_seq=rate.seq if rate else None, inverse=value.inverse if value else False,
                )
            elif kind == "vehicle":
                row.update(
                    make=it.make, model=it.model, plate=it.plate, plate_kind=it.plate_kind, vin=it.vin, year=it.year,
                    color=it.color, value_currency=it.value_currency,
                    value=from_minor(it.value_minor, it.value_currency) if it.value_minor is not None else None,
                )
            elif kind == "phone":
                row.update(make=it.make, model=it.model, imei=it.imei, imei2=it.imei2, number=it.number)
            else:
                row.update(title=it.title, pages=it.pages, file_name=it.file_name, file_sha256=it.file_sha256,
                           file_size=it.file_size)
            yield row


def custody_row(seq: int, item_id: str, body: dict, hash_: str, tz: str | Callable) -> dict:
    """One event as seen from one item: who handed it to whom, why, where, under which seal.
    A registration names its seizure in `seizure` (the writer words the reason from it).
    `tz`: a zone name, or a converter from `local_converter`."""
    local = tz if callable(tz) else local_converter(tz)
    data = body.get("data") or {}
    type_ = body.get("type", "")
    row = {
        "seq": seq, "at": local(body.get("occurred_at")), "item": item_id, "action": type_,
        "from": None, "to": None, "reason": None, "location": data.get("location"), "seal": data.get("seal"),
        "old_seal": None, "by": body.get("actor"), "recorded_at": local(body.get("recorded_at")),
        "hash": hash_, "disposition": None, "seizure": None,
    }
    if type_ == REGISTERED:
        row.update(to=data.get("holder"), seizure=data.get("seizure"))
    elif type_ == TRANSFERRED:
        row.update(**{"from": data.get("from"), "to": data.get("to"), "reason": data.get("reason")})
    elif type_ == RESEALED:
        row.update(seal=data.get("new_seal"), old_seal=data.get("old_seal"), reason=data.get("reason"))
    elif type_ == DISPOSED:
        row.update(**{"from": data.get("holder"), "to": data.get("to"), "reason": data.get("authority"),
                      "disposition": data.get("action")})
    elif type_ == REVIEW_SET:  # the date (a dash once cleared), then why
        when, why = data.get("review_on"), data.get("reason")
        row.update(reason=(f"{when}: {why}" if when else f"— {why}") if why else (when or "—"))
    else:
        row.update(reason=data.get("reason"))
    return row


def iter_custody_rows(
    session: Session, case_no: str, head_seq: int, tz: str, officers: dict[str, str] | None = None,
    batch: int | None = None,
) -> Iterator[dict]:
    """Every event touching the case's items, oldest first; an event on several items gives one
    row per item. Read from the log itself (event bodies), not from the projections."""
    local = local_converter(tz)
    # One ordered query read `batch` rows at a time (a server-side cursor on PostgreSQL, SQLite's
    # own stepping): keyset pages would each look up every item of the case again to find the
    # next 500 events, which is quadratic in the case's size.
    result = session.execute(
        select(EventItem.seq, Item.id, Event.body, Event.hash)
        .join(Item, Item.no == EventItem.item_no).join(Event, Event.seq == EventItem.seq)
        .where(Item.case_no == case_no, EventItem.seq <= head_seq).order_by(EventItem.seq, EventItem.item_no),
        execution_options={"yield_per": batch or BATCH},
    )
    loads = json.loads
    for seq, item_id, body, hash_ in result:
        yield custody_row(seq, item_id, loads(body), hash_, local)
