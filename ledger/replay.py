"""The rulebook's state as the database holds it: full `items` rows (the state keeps only a
digest of an item's description), and the stored row put back in the event's form to be
compared. The rows themselves come from the rulebook (ledger.rules); `ledger.models` must
declare exactly the tables the rulebook builds, which this module checks at import.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal

from ledger.errors import LedgerError
from ledger.models import Base
from ledger.rules.state import (
    AMOUNT_KEY,
    DERIVED,
    ITEM_DESCRIPTIVE,
    ITEM_STATE,
    LOG_TABLE,
    MINOR_UNITS,
    SIGNATURE_TABLE,
    TABLES,
    encode_fields,
    item_state,
)


def table_columns(name: str) -> tuple[str, ...]:
    return tuple(c.name for c in Base.metadata.tables[name].columns)


def primary_key(name: str) -> tuple[str, ...]:
    return tuple(c.name for c in Base.metadata.tables[name].primary_key.columns)


_declared = {t: (table_columns(t), primary_key(t)) for t in Base.metadata.tables if t not in (LOG_TABLE, SIGNATURE_TABLE)}
if _declared != TABLES:  # pragma: no cover - a table the rulebook does not build fails at import, in every test
    raise RuntimeError("ledger.models and ledger.rules.state.TABLES declare different current-state tables: "
                       f"{sorted(set(_declared.items()) ^ set(TABLES.items()))}")
ITEM_COLUMNS = table_columns("items")
_DESCRIBED_AT = {c: i for i, c in enumerate(ITEM_DESCRIPTIVE)}
_CURRENCY_AT = {column: ITEM_DESCRIPTIVE.index(currency) for column, (_, currency) in AMOUNT_KEY.items()}
__all__ = ["DERIVED", "ITEM_COLUMNS", "ITEM_DESCRIPTIVE", "ITEM_STATE", "item_description", "item_row",
           "row_description_digest", "primary_key", "table_columns"]


def item_description(data: dict) -> tuple:
    """The ITEM_DESCRIPTIVE columns of the items row a registration event creates: its data
    under the columns' names, amounts ("4000.00") as integer minor units."""
    from ledger.money import to_minor

    values = [None] * len(ITEM_DESCRIPTIVE)
    for key, value in data.items():
        at = _DESCRIBED_AT.get(key)
        if at is not None:
            values[at] = value
        elif key in MINOR_UNITS:
            column, currency = MINOR_UNITS[key]
            values[_DESCRIBED_AT[column]] = to_minor(Decimal(value), data[currency])
    return tuple(values)


def item_row(seq: int, occurred_at: str, case_no: str, data: dict) -> dict:
    """The whole items row a registration event creates."""
    return {**dict(zip(ITEM_STATE, item_state(seq, occurred_at, case_no, data), strict=True)),
            **dict(zip(ITEM_DESCRIPTIVE, item_description(data), strict=True))}


def row_description_digest(values: tuple) -> bytes | None:
    """The rulebook's description digest from a stored row's ITEM_DESCRIPTIVE values; None when
    the row cannot be put in the event's form (an amount without a currency, say): it differs
    from the log."""
    from ledger.money import amount_str

    fields = {c: v for c, v in zip(ITEM_DESCRIPTIVE, values, strict=True) if v is not None}
    try:
        for column in AMOUNT_KEY.keys() & fields.keys():
            fields[AMOUNT_KEY[column][0]] = amount_str(fields.pop(column), values[_CURRENCY_AT[column]])
        return hashlib.sha256(encode_fields(fields)).digest()
    except (LedgerError, ArithmeticError, LookupError, TypeError, ValueError):
        return None
