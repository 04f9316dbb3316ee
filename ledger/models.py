"""The tables: the append-only event log and the current-state projections built from it.

`events` is the record; everything else (officers, cases, items and who holds them) is a
projection written in the same transaction as the event that caused it, so `verify` can
replay the log and compare. Times are stored as canonical UTC strings (`utc_iso`), which
sort like the times they name on both backends.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Connection,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

TIME = String(20)  # YYYY-MM-DDTHH:MM:SSZ
HASH = String(64)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Event(Base):
    """One entry of the hash-chained log. Never updated, never deleted (triggers refuse)."""

    __tablename__ = "events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    recorded_at: Mapped[str] = mapped_column(TIME)
    occurred_at: Mapped[str] = mapped_column(TIME)
    actor: Mapped[str | None] = mapped_column(String(32))
    type: Mapped[str] = mapped_column(String(40))
    case_no: Mapped[str | None] = mapped_column(String(64), index=True)
    body: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(HASH)
    hash: Mapped[str] = mapped_column(HASH, unique=True)
    salt: Mapped[str] = mapped_column(HASH)  # 32 random bytes in hex: the leaf is SHA-256(0x00 || salt || body)

    __table_args__ = (CheckConstraint("seq >= 1", name="seq_positive"),)


class EventItem(Base):
    """Which items an event touched, so an item's history is one indexed lookup."""

    __tablename__ = "event_items"

    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    item_no: Mapped[int] = mapped_column(ForeignKey("items.no"), primary_key=True)

    __table_args__ = (
        Index("ix_event_items_item_no_seq", "item_no", "seq"),
        CheckConstraint("seq >= 1 AND item_no >= 1", name="keys_positive"),
    )


class ChainHead(Base):
    """The single row every writer locks first: the last sequence number and its hash, and the
    Merkle tree's root and right edge (the subtree roots an append needs)."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(HASH)
    root: Mapped[str] = mapped_column(HASH)
    edge: Mapped[str] = mapped_column(Text)

    __table_args__ = (CheckConstraint("id = 1 AND seq >= 0", name="single_row"),)


class EventSignature(Base):
    """An Ed25519 signature over one event's leaf commitment by one of the officers the event
    needs: its actor, and the receiver or witness its body names. Like the events, these rows
    are the record itself (no replay can make a signature); triggers keep them append-only."""

    __tablename__ = "event_signatures"

    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    signer: Mapped[str] = mapped_column(String(32), primary_key=True)
    key_id: Mapped[str] = mapped_column(String(16))
    signature: Mapped[str] = mapped_column(String(128))  # 64 bytes in hex

    __table_args__ = (CheckConstraint("seq >= 1", name="seq_positive"),)


class Officer(Base):
    __tablename__ = "officers"

    badge: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    unit: Mapped[str | None] = mapped_column(String(200))
    added_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))


class OfficerKey(Base):
    """An officer's public key, enrolled by an admin's event and valid for the events from that
    one until the event that revoked it (events signed before a revocation stay valid)."""

    __tablename__ = "officer_keys"

    key_id: Mapped[str] = mapped_column(String(16), primary_key=True)  # SHA-256 of the public key, 8 bytes hex
    badge: Mapped[str] = mapped_column(ForeignKey("officers.badge"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # 32 bytes in hex
    added_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    revoked_seq: Mapped[int | None] = mapped_column(BigInteger)
    revoked_reason: Mapped[str | None] = mapped_column(String(500))


class OfficerLogin(Base):
    """PostgreSQL: a database login role mapped to the badge it may write as."""

    __tablename__ = "officer_logins"

    role_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    badge: Mapped[str] = mapped_column(ForeignKey("officers.badge"))
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))


class Setting(Base):
    """Ledger-wide facts the log fixed: from which seq every event must be signed."""

    __tablename__ = "settings"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))


class Offer(Base):
    """A handover the holder offered and the receiver has not yet answered (or has): the item
    is in transit, still the holder's responsibility, until the receiver accepts or declines."""

    __tablename__ = "offers"

    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True)
    item_no: Mapped[int] = mapped_column(ForeignKey("items.no"), primary_key=True)
    case_no: Mapped[str] = mapped_column(ForeignKey("cases.case_no"))
    from_badge: Mapped[str] = mapped_column(ForeignKey("officers.badge"))
    to_badge: Mapped[str] = mapped_column(ForeignKey("officers.badge"), index=True)
    closed_seq: Mapped[int | None] = mapped_column(BigInteger)
    outcome: Mapped[str | None] = mapped_column(String(10))  # accepted, declined
    seal_check: Mapped[str | None] = mapped_column(String(500))  # ok, or what the receiver saw broken

    __table_args__ = (CheckConstraint("seq >= 1 AND item_no >= 1", name="keys_positive"),)


class Location(Base):
    __tablename__ = "locations"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    added_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))


class Case(Base):
    __tablename__ = "cases"

    case_no: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(500))
    prosecutor: Mapped[str | None] = mapped_column(ForeignKey("officers.badge"))
    court: Mapped[str | None] = mapped_column(String(200))
    opened_by: Mapped[str] = mapped_column(ForeignKey("officers.badge"))
    opened_at: Mapped[str] = mapped_column(TIME)
    opened_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))


class Seizure(Base):
    __tablename__ = "seizures"

    no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(16), unique=True)
    case_no: Mapped[str] = mapped_column(ForeignKey("cases.case_no"), index=True)
    acta: Mapped[str | None] = mapped_column(String(64))
    occurred_at: Mapped[str] = mapped_column(TIME)
    place: Mapped[str] = mapped_column(String(500))
    officer: Mapped[str] = mapped_column(ForeignKey("officers.badge"))
    from_persons: Mapped[str] = mapped_column(Text)  # JSON array of names
    witnesses: Mapped[str] = mapped_column(Text)  # JSON array of names
    recorded_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))

    __table_args__ = (CheckConstraint("no >= 1", name="no_positive"),)


class Item(Base):
    """Current state of one seized item. Kind-specific columns are empty for other kinds."""

    __tablename__ = "items"

    no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(16), unique=True)
    case_no: Mapped[str] = mapped_column(ForeignKey("cases.case_no"), index=True)
    seizure_no: Mapped[int] = mapped_column(ForeignKey("seizures.no"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(24))
    holder: Mapped[str | None] = mapped_column(ForeignKey("officers.badge"), index=True)
    location: Mapped[str | None] = mapped_column(ForeignKey("locations.code"))
    seal: Mapped[str | None] = mapped_column(String(64))
    registered_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    last_seq: Mapped[int] = mapped_column(BigInteger)
    last_at: Mapped[str] = mapped_column(TIME)
    # cash
    currency: Mapped[str | None] = mapped_column(String(3))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)
    denominations: Mapped[str | None] = mapped_column(String(500))
    counted_by: Mapped[str | None] = mapped_column(ForeignKey("officers.badge"))
    verified_by: Mapped[str | None] = mapped_column(ForeignKey("officers.badge"))
    # vehicle and phone
    make: Mapped[str | None] = mapped_column(String(100))
    model: Mapped[str | None] = mapped_column(String(100))
    plate: Mapped[str | None] = mapped_column(String(16))
    plate_kind: Mapped[str | None] = mapped_column(String(10))
    vin: Mapped[str | None] = mapped_column(String(17))
    year: Mapped[int | None] = mapped_column(Integer)
    color: Mapped[str | None] = mapped_column(String(50))
    value_currency: Mapped[str | None] = mapped_column(String(3))
    value_minor: Mapped[int | None] = mapped_column(BigInteger)
    imei: Mapped[str | None] = mapped_column(String(15), index=True)
    imei2: Mapped[str | None] = mapped_column(String(15))
    number: Mapped[str | None] = mapped_column(String(32))
    # document
    title: Mapped[str | None] = mapped_column(String(500))
    pages: Mapped[int | None] = mapped_column(Integer)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str | None] = mapped_column(HASH)
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    # disposition
    disposition: Mapped[str | None] = mapped_column(String(24))
    authority: Mapped[str | None] = mapped_column(String(200))
    disposed_to: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("no >= 1 AND last_seq >= registered_seq", name="keys_positive"),)


class Rate(Base):
    """An exchange rate as recorded: 1 `base` = `rate` `quote` on `date`, per side and source.

    A superseded rate stays, with `superseded_seq` naming the event that replaced it. The key
    is the event and what it priced, so the replay of the log gives every row its key.
    """

    __tablename__ = "rates"

    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True, index=True)
    date: Mapped[str] = mapped_column(String(10), primary_key=True)
    base: Mapped[str] = mapped_column(String(3), primary_key=True)
    quote: Mapped[str] = mapped_column(String(3), primary_key=True)
    side: Mapped[str] = mapped_column(String(4), primary_key=True)
    source: Mapped[str] = mapped_column(String(100))
    rate: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(String(500))
    file_sha256: Mapped[str | None] = mapped_column(HASH)
    superseded_seq: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_rates_lookup", "base", "quote", "side", "date"),)


class Request(Base):
    """A `--request-id` already applied: the event that carries it (its body holds the id and
    the fingerprint, so this row is replayed from the log like every other)."""

    __tablename__ = "requests"

    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    command: Mapped[str] = mapped_column(String(40))
    fingerprint: Mapped[str] = mapped_column(HASH)
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))


class Deposit(Base):
    """Seized cash paid into a bank account (Peru: Banco de la Nación): the voucher is where
    the amount now is, so the item has no holder from then on."""

    __tablename__ = "deposits"

    item_no: Mapped[int] = mapped_column(ForeignKey("items.no"), primary_key=True, autoincrement=False)
    case_no: Mapped[str] = mapped_column(ForeignKey("cases.case_no"), index=True)
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), index=True)
    deposited_at: Mapped[str] = mapped_column(TIME)
    deposited_by: Mapped[str] = mapped_column(ForeignKey("officers.badge"))  # the holder the cash left
    bank: Mapped[str] = mapped_column(String(200))
    account: Mapped[str] = mapped_column(String(64))
    voucher: Mapped[str] = mapped_column(String(64))
    court_order: Mapped[str | None] = mapped_column(String(200))

    __table_args__ = (CheckConstraint("item_no >= 1", name="item_no_positive"),)


class Assignment(Base):
    """An item lent in temporary use to a public entity on a court order, until a date; the
    holder stays answerable for it, and `returned_seq` closes the assignment."""

    __tablename__ = "assignments"

    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True, autoincrement=False)
    item_no: Mapped[int] = mapped_column(ForeignKey("items.no"), index=True)
    case_no: Mapped[str] = mapped_column(ForeignKey("cases.case_no"), index=True)
    assigned_at: Mapped[str] = mapped_column(TIME)
    entity: Mapped[str] = mapped_column(String(200))
    court_order: Mapped[str] = mapped_column(String(200))
    until: Mapped[str] = mapped_column(String(10))  # YYYY-MM-DD, the last day of the use
    returned_seq: Mapped[int | None] = mapped_column(BigInteger)
    returned_at: Mapped[str | None] = mapped_column(TIME)

    __table_args__ = (CheckConstraint("seq >= 1 AND item_no >= 1", name="keys_positive"),)


class InventoryAudit(Base):
    """A count of one location against the record: every item the log puts there, or a sample
    drawn with a seed nobody knew in advance (the log's root just after the start event)."""

    __tablename__ = "audits"

    no: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(16), unique=True)
    location: Mapped[str] = mapped_column(ForeignKey("locations.code"))
    started_seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    started_at: Mapped[str] = mapped_column(TIME)
    started_by: Mapped[str] = mapped_column(ForeignKey("officers.badge"))
    requested: Mapped[int | None] = mapped_column(Integer)  # --sample N, if given
    confidence: Mapped[int | None] = mapped_column(Integer)  # percent
    tolerance: Mapped[int | None] = mapped_column(Integer)  # percent
    population: Mapped[int] = mapped_column(Integer)  # items the log put at the location then
    seed: Mapped[str] = mapped_column(HASH)  # the log's root with the start event as its last leaf
    sample: Mapped[str] = mapped_column(Text)  # JSON array of the evidence ids drawn, in number order
    closed_seq: Mapped[int | None] = mapped_column(BigInteger)
    closed_at: Mapped[str | None] = mapped_column(TIME)
    closed_by: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (CheckConstraint("no >= 1", name="no_positive"),)


class AuditCheck(Base):
    """What the auditor found for one item, beside what the record said at that moment."""

    __tablename__ = "audit_checks"

    audit_no: Mapped[int] = mapped_column(ForeignKey("audits.no"), primary_key=True)
    item_no: Mapped[int] = mapped_column(ForeignKey("items.no"), primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"))
    checked_at: Mapped[str] = mapped_column(TIME)
    checked_by: Mapped[str] = mapped_column(ForeignKey("officers.badge"))
    result: Mapped[str] = mapped_column(String(8))  # found, missing
    in_scope: Mapped[int] = mapped_column(Integer)  # 1: drawn for the audit; 0: found there unexpected
    seal: Mapped[str | None] = mapped_column(String(64))  # seen on the bag
    location: Mapped[str | None] = mapped_column(String(64))  # where it was found, if not the audited place
    note: Mapped[str | None] = mapped_column(String(500))
    record_seal: Mapped[str | None] = mapped_column(String(64))
    record_location: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (CheckConstraint("audit_no >= 1 AND item_no >= 1", name="keys_positive"),)


class AuditFinding(Base):
    """One discrepancy an audit's close recorded: missing, seal-mismatch, wrong-location,
    unexpected or not-checked."""

    __tablename__ = "audit_findings"

    audit_no: Mapped[int] = mapped_column(ForeignKey("audits.no"), primary_key=True)
    item_no: Mapped[int] = mapped_column(ForeignKey("items.no"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    detail: Mapped[str] = mapped_column(String(500))

    __table_args__ = (CheckConstraint("audit_no >= 1 AND item_no >= 1", name="keys_positive"),)


class ItemReview(Base):
    """The date by which an item's continued custody must be reviewed (a prosecutor's or the
    evidence room's diary date); `review_on` is null once the review is cleared. One row per
    item that ever had one; `seq` names the event that set the current value."""

    __tablename__ = "item_reviews"

    item_no: Mapped[int] = mapped_column(ForeignKey("items.no"), primary_key=True, autoincrement=False)
    case_no: Mapped[str] = mapped_column(ForeignKey("cases.case_no"), index=True)
    review_on: Mapped[str | None] = mapped_column(String(10))  # YYYY-MM-DD; null: no review pending
    reason: Mapped[str | None] = mapped_column(String(500))
    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), index=True)
    set_at: Mapped[str] = mapped_column(TIME)
    set_by: Mapped[str] = mapped_column(ForeignKey("officers.badge"))

    __table_args__ = (CheckConstraint("item_no >= 1", name="item_no_positive"),)


class CaseOrder(Base):
    """A court order or resolution recorded on a case; `is_final` marks the final disposition
    order, after which nothing of the case should stay in custody for long."""

    __tablename__ = "case_orders"

    seq: Mapped[int] = mapped_column(ForeignKey("events.seq"), primary_key=True, autoincrement=False)
    case_no: Mapped[str] = mapped_column(ForeignKey("cases.case_no"), index=True)
    court_order: Mapped[str] = mapped_column(String(200))
    is_final: Mapped[int] = mapped_column(Integer)  # 1: the final disposition order; 0: another order
    ordered_at: Mapped[str] = mapped_column(TIME)  # when the order was given (the event's occurred_at)
    recorded_by: Mapped[str] = mapped_column(ForeignKey("officers.badge"))
    note: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (CheckConstraint("seq >= 1 AND is_final IN (0, 1)", name="seq_and_flag"),)


def insert_rows(conn: Connection, table: Table, rows: Sequence[dict]) -> None:
    """INSERT many rows that all name the same columns, with one executemany. On SQLite the
    rows go to the driver as tuples: SQLAlchemy's per-row parameter processing costs more
    than the insert itself at 100,000 rows (see BENCHMARKS.md)."""
    if not rows:
        return
    if conn.dialect.name != "sqlite":
        conn.execute(table.insert(), rows)
        return
    compiled = table.insert().compile(dialect=conn.dialect, column_keys=list(rows[0]))
    order = compiled.positiontup
    conn.exec_driver_sql(str(compiled), [tuple(r[c] for c in order) for r in rows])
