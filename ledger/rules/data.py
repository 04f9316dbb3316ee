"""Each event type's `data` as a typed record: the fields its rules and effects read, with their
types (`NotRequired` where a field may be absent). `step` holds every event to its record before
any rule: a field missing or of the wrong kind is one finding [`well-formed`], never a crash.
Fields a record does not name (request ids, court orders, notes) may travel too.
"""

from __future__ import annotations

import functools
import types
import typing
from typing import Any, NotRequired, TypedDict

Text = str
Badge = str
Seq = int
class Key(TypedDict):
    key_id: str
    public_key: str

class Initialized(TypedDict):
    badge: Badge
    name: Text
    role: str
    unit: Text | None
    key: Key
    signatures_from: Seq
SignaturesRequired = TypedDict("SignaturesRequired", {"from": Seq})
class OfficerAdded(TypedDict):
    badge: Badge
    name: Text
    role: str
    unit: NotRequired[Text | None]
    key: NotRequired[Key | None]
class OfficerUpdated(TypedDict):
    badge: Badge
    name: NotRequired[Text]
    unit: NotRequired[Text | None]
    role: NotRequired[str]
class KeyAdded(TypedDict):
    badge: Badge
    key: Key
class KeyRevoked(TypedDict):
    badge: Badge
    key_id: str
    reason: Text
class LoginMapped(TypedDict):
    badge: Badge
    role_name: str
NamesOrigin = TypedDict("NamesOrigin", {"from": Seq})
LogUpgraded = TypedDict("LogUpgraded", {"from": int, "to": int, "format_1_head": str})
class LocationAdded(TypedDict):
    code: str
    name: Text
    kind: str
class CaseOpened(TypedDict):
    case_no: str
    title: Text
    prosecutor: NotRequired[Badge | None]
    court: NotRequired[Text | None]
class SeizureRecorded(TypedDict):
    seizure: str
    case_no: str
    acta: NotRequired[Text | None]
    place: Text
    officer: Badge
    from_persons: list
    witnesses: list
class CaseOrdered(TypedDict):
    case_no: str
    order: Text
    final: bool
    note: NotRequired[Text | None]
class Registered(TypedDict):
    item: str
    kind: str
    seizure: str
    holder: Badge
    seal: NotRequired[str | None]
    location: NotRequired[str | None]
class ReviewSet(TypedDict):
    review_on: str | None
    reason: NotRequired[Text | None]
Handover = TypedDict("Handover", {"from": Badge, "to": Badge, "reason": NotRequired[Text], "location": NotRequired[str | None],
                                  "seal": NotRequired[str | None], "cosigners": NotRequired[list[str]]})
Answer = TypedDict("Answer", {"offer": Seq, "from": Badge, "to": Badge, "location": NotRequired[str | None],
                              "seal": NotRequired[str | None], "seal_check": NotRequired[str | None],
                              "reason": NotRequired[Text]})
class Resealed(TypedDict):
    item: str
    old_seal: str | None
    new_seal: str
    reason: NotRequired[Text]
class Disposed(TypedDict):
    item: str
    action: str
    authority: Text
    to: NotRequired[Text | None]
    holder: Badge | None
    witness: NotRequired[Badge | None]
    cosigners: NotRequired[list[str]]
Deposited = TypedDict("Deposited", {"from": Badge, "bank": Text, "account": Text, "voucher": Text})
class Assigned(TypedDict):
    item: str
    holder: Badge | None
    entity: Text
    order: Text
    until: str
class Returned(TypedDict):
    item: str
    holder: Badge | None
    assignment: Seq
class RateSet(TypedDict):
    date: str
    base: str
    quote: str
    rate: str
    side: str
    source: Text
    supersedes: NotRequired[Seq | None]
class RatesImported(TypedDict):
    source: Text
    rates: list[dict]
class AuditStarted(TypedDict):
    audit: str
    location: str
    sample: NotRequired[int | None]
    confidence: NotRequired[int | None]
    tolerance: NotRequired[int | None]
class AuditChecked(TypedDict):
    audit: str
    item: str
    result: str
    unexpected: NotRequired[bool]
class AuditClosed(TypedDict):
    audit: str
class CaseIndex(TypedDict):
    root: str
    entries: int


def _fits(value: Any, hint: Any) -> bool:
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_fits(value, h) for h in typing.get_args(hint))
    if hint is type(None):
        return value is None
    if hint is int:
        return type(value) is int
    if hint is bool:
        return type(value) is bool
    if origin is list:
        (item,) = typing.get_args(hint) or (Any,)
        return type(value) is list and (item is Any or all(_fits(v, item) for v in value))
    if typing.is_typeddict(hint):
        return type(value) is dict and not problems(value, hint)
    if hint is Any:
        return True
    return type(value) is (origin or hint)


def problems(data: dict, record) -> list[str]:
    """What in `data` does not fit `record`: a required field missing, or a field of another kind."""
    out = []
    for name, hint in _hints(record):
        optional = typing.get_origin(hint) is NotRequired
        if optional:
            hint = typing.get_args(hint)[0]
        if name not in data:
            if not optional:
                out.append(f"{name} missing")
            continue
        if not _fits(data[name], hint):
            out.append(f"{name} is {type(data[name]).__name__}")
    return out


@functools.cache
def _hints(record) -> tuple:
    return tuple(typing.get_type_hints(record, include_extras=True).items())
