"""The offline log bundle (format 2): the log's events, salts and proofs, for an auditor who
trusts nothing else.

A full bundle holds every event with its salt and chain hash; a case bundle and an items
bundle (`evidence prove`) hold only the chosen events, each with an RFC 6962 inclusion proof
against the bundle's checkpoint, so nothing of any other event is disclosed. The folder is
written beside the target and renamed into place, so a half-written bundle is never seen.
docs/FORMAT.md section 4 describes every byte; ledger/bundle_verify.py is shipped as verify.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ledger import outputs
from ledger.errors import InputError, RuleError, VerificationFailed
from ledger.events import canonical_json
from ledger.i18n import N_, _
from ledger.log.merkle import RightEdge, Tree, leaf_commitment
from ledger.models import Event, EventItem
from ledger.rules.cases import CASE_OPENED, SEIZURE_RECORDED
from ledger.rules.disclosure import CASE_INDEX, LEDGER_KEY, entry_leaf, expected_index, index_leaves, tree_root

BATCH = 5000
FORMAT = 2
# Events of an item's case an items bundle holds though they name no item: where it came from.
PROVENANCE_TYPES = (CASE_OPENED, SEIZURE_RECORDED)
COMMON = ("README.txt", "checkpoint", "events.jsonl", "manifest.json", "verify.py")
INDEX = "case-index"  # a case bundle's entries in the case index (docs/FORMAT.md 4.2)
FILES = {"full": ("HEAD", *COMMON), "case": (*COMMON, INDEX), "items": COMMON}
MANIFEST = "SHA256SUMS"
PROOF = "consistency-proof"  # with --from: from a checkpoint the court holds to the bundle's
ALL_NAMES = ("HEAD", *COMMON, INDEX, MANIFEST, PROOF)


def verifier_source() -> bytes:
    """The standalone verify.py shipped in every bundle: ledger/bundle_verify.py with the
    rulebook's source (every module of ledger.rules) written into its RULEBOOK."""
    import json

    package = resources.files("ledger")
    sources = {"ledger": "", "ledger.rules": package.joinpath("rules/__init__.py").read_text("utf-8")}
    for entry in sorted(package.joinpath("rules").iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".py") and entry.name != "__init__.py":
            sources[f"ledger.rules.{entry.name[:-3]}"] = entry.read_text("utf-8")
    text = package.joinpath("bundle_verify.py").read_text("utf-8")
    marker = "\nRULEBOOK = {}\n"
    if marker not in text:  # pragma: no cover - the source ships with its marker
        raise RuntimeError("bundle_verify.py has no RULEBOOK to fill")
    embedded = "\nRULEBOOK = {\n" + "".join(f"    {json.dumps(name)}: {json.dumps(source)},\n"
                                             for name, source in sources.items()) + "}\n"
    return text.replace(marker, embedded, 1).encode("utf-8")


def _check_target(out: str | os.PathLike, force: bool, database) -> Path:
    """--force replaces only a folder holding an earlier bundle and nothing else."""
    return outputs.check_folder(os.fspath(out), force=force, names=ALL_NAMES, manifest=MANIFEST,
                                what=N_("log bundle"), database=database)


def _snapshot(session: Session) -> None:
    # One consistent view of the log (events and chain head) while others keep appending.
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _batches(session: Session, columns, *where, batch: int) -> Iterator:
    """Rows of events in seq order, `batch` at a time, so a million-event log is never held."""
    last = 0
    while True:
        rows = session.execute(select(Event.seq, *columns).where(Event.seq > last, *where)
                               .order_by(Event.seq).limit(batch)).all()
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def _signed(session: Session, columns, *where, batch: int) -> Iterator:
    """(row, its signatures as bundle lines carry them) in seq order, `batch` rows at a time."""
    from ledger.models import EventSignature

    page: list = []

    def flush():
        sigs: dict[int, list[dict]] = {}
        for r in session.execute(select(EventSignature.seq, EventSignature.signer, EventSignature.key_id,
                                        EventSignature.signature)
                                 .where(EventSignature.seq.between(page[0].seq, page[-1].seq))
                                 .order_by(EventSignature.seq, EventSignature.signer)):
            sigs.setdefault(r.seq, []).append({"key_id": r.key_id, "signature": r.signature, "signer": r.signer})
        for row in page:
            yield row, sigs.get(row.seq, [])

    for row in _batches(session, columns, *where, batch=batch):
        page.append(row)
        if len(page) >= batch:
            yield from flush()
            page = []
    if page:
        yield from flush()


def _leaves(session: Session, size: int, batch: int) -> list[bytes]:
    return [leaf_commitment(bytes.fromhex(row.salt), row.body.encode("utf-8"))
            for row in _batches(session, (Event.salt, Event.body), Event.seq <= size, batch=batch)]


def _not_the_log(root: bytes, expected: bytes, size: int) -> VerificationFailed:
    return VerificationFailed(
        _("The events of the log give the root {root} at size {size}, not the chain head's {expected}; no bundle "
          "was written.").format(root=root.hex(), size=size, expected=expected.hex()),
        hint=_("Run 'evidence verify' and explain its findings before exporting."))


def _readme(kind: str, manifest: dict, head: str | None) -> str:
    scope = {
        "full": "The whole log: every event, with its salt and its chain hash.\n",
        "case": f"Case {manifest['case']}: every one of its events and every ledger-wide one (officers, keys,\n"
                "locations, rates) up to the case index that is the checkpoint's last leaf, each with an\n"
                "inclusion proof; case-index proves that none is missing. Nothing of any other case is in\n"
                "this folder.\n",
        "items": f"Items {', '.join(manifest.get('items') or [])}: their events and the ledger-wide ones,\n"
                 "each with an inclusion proof. Nothing of any other event is in this folder.\n",
    }[kind]
    return f"""Evidence ledger: log bundle (format 2) for an offline audit
==========================================================

{manifest['events']} events disclosed of a log of {manifest['tree_size']}; root {manifest['root']}.
{scope}{f"Head {head}: give it to 'evidence verify --expect-head' later.{chr(10)}" if head else ""}
Files
  manifest.json  what this bundle is: kind, case, tree size, origin, root
  checkpoint     the log's checkpoint (origin, size, root), signed when a signature follows
  events.jsonl   one line per event: seq, salt, the body exactly as hashed, and its chain hash
                 (full bundle) or its inclusion proof (case and items bundles), with the Ed25519
                 signatures of the officers who acted (over the event's leaf and the origin)
  HEAD           full bundles only: SEQ:HASH of the last event
  case-index     case bundles only: how many events of the case and ledger-wide events precede
                 the case index, with their paths to its root (docs/FORMAT.md 4.2)
  consistency-proof  when asked for (--from): the RFC 6962 consistency proof from an older
                 checkpoint to this one (docs/FORMAT.md 1.4.1); --since OLD checks it
  SHA256SUMS     SHA-256 of the other files ('sha256sum -c SHA256SUMS' checks them)
  verify.py      the check, with the Python standard library alone

How to check it
  python3 verify.py .  [--trust VERIFIER_KEY]  [--expect-head SEQ:HASH]  [--since CHECKPOINT [--proof FILE]]
  Exit 0 and "OK: ..." when every rule holds; exit 3 and one FINDING line per problem.
  A bundle proves nothing on its own: compare its checkpoint with one you obtained
  independently (--since, --expect-head), and check its signature with --trust.
  docs/FORMAT.md in the evidence ledger's source describes every byte.
"""


def _write(session: Session, target: Path, *, kind: str, manifest: dict, checkpoint_text: str,
           lines: Callable[[], Iterator[bytes]], head_of: Callable[[], str | None], force: bool, database,
           extra: dict[str, bytes] | None = None) -> dict:
    tmp = outputs.temporary_folder(target)
    try:
        sums: dict[str, str] = {}
        digest, count = hashlib.sha256(), 0
        with open(tmp / "events.jsonl", "wb") as fh:
            for line in lines():
                fh.write(line)
                digest.update(line)
                count += 1
            fh.flush()
            os.fsync(fh.fileno())
        sums["events.jsonl"] = digest.hexdigest()
        manifest = {**manifest, "events": count}
        head = head_of()
        contents = {
            "manifest.json": canonical_json(manifest) + b"\n",
            "checkpoint": checkpoint_text.encode("utf-8"),
            "README.txt": _readme(kind, manifest, head).encode("utf-8"),
            "verify.py": verifier_source(),
        }
        if kind == "full":
            contents["HEAD"] = f"{head}\n".encode("ascii")
        contents.update(extra or {})
        for name, content in contents.items():
            (tmp / name).write_bytes(content)
            sums[name] = hashlib.sha256(content).hexdigest()
        (tmp / MANIFEST).write_text("".join(f"{sums[n]}  {n}\n" for n in sorted({*FILES[kind], *(extra or {})})),
                                    encoding="ascii")
        # The folder may have changed while the log was read: check it again just before.
        _check_target(target, force, database)
        outputs.swap_folder_into_place(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return {"path": str(target), "kind": kind, "events": count, "tree_size": manifest["tree_size"],
            "root": manifest["root"], "case": manifest["case"], "items": manifest.get("items"), "head": head}


def _proof_lines(session: Session, tree: Tree, size: int, where, batch: int,
                 leaves: list[bytes] | None = None) -> Iterator[bytes]:
    acts = _Acts(session, leaves)
    for row, sigs in _signed(session, (Event.salt, Event.body), Event.seq <= size, where, batch=batch):
        proof = [node.hex() for node in tree.inclusion_proof(row.seq - 1, size)]
        line = {"body": row.body, "proof": proof, "salt": row.salt, "seq": row.seq, "signatures": sigs}
        line.update(acts.of(row.seq))
        yield canonical_json(line) + b"\n"


class _Acts:
    """What a reader of some of an act's events needs to check the act's signature (FORMAT.md
    1.6.1, 4): for an event of an act of several, the act's first and last seq, the path from the
    event's leaf to the act's root, and the act's signatures (on its last event)."""

    def __init__(self, session: Session, leaves: list[bytes] | None):
        from array import array

        from sqlalchemy import union

        from ledger.events import signatures_from
        from ledger.models import EventSignature
        from ledger.rules.identity import NEVER_SIGNED

        self.session, self.leaves = session, leaves
        self.start = signatures_from(session)
        self.bounds = array("q", session.execute(union(
            select(EventSignature.seq), select(Event.seq).where(Event.type.in_(NEVER_SIGNED))).order_by("seq"))
            .scalars())
        self.cached: tuple[tuple[int, int], Tree, list[dict]] | None = None

    def of(self, seq: int) -> dict:
        from ledger.rules.acts import act_range

        if self.start is None or seq < self.start or self.leaves is None:
            return {}
        span = act_range(seq, self.bounds, self.start)
        if span is None or span[0] == span[1]:
            return {}
        first, last = span
        if self.cached is None or self.cached[0] != span:
            from ledger.models import EventSignature

            sigs = [{"key_id": r.key_id, "signature": r.signature, "signer": r.signer} for r in self.session.execute(
                select(EventSignature.signer, EventSignature.key_id, EventSignature.signature)
                .where(EventSignature.seq == last).order_by(EventSignature.signer))]
            self.cached = (span, Tree(self.leaves[first - 1:last]), sigs)
        _span, act_tree, sigs = self.cached
        path = [node.hex() for node in act_tree.inclusion_proof(seq - first)]
        return {"act": {"first": first, "last": last, "path": path}, "signatures": sigs}


def _proof_file(session: Session, from_file: str | None, checkpoint, tree: Tree | None = None) -> dict[str, bytes]:
    """The bundle's consistency-proof file from `from_file` to `checkpoint`, when asked for."""
    if from_file is None:
        return {}
    from ledger.log.checkpoints import prove_consistency

    _text, old = _read_checkpoint_file(from_file, "--from")
    return {PROOF: prove_consistency(session, old, from_file, to=checkpoint, tree=tree).to_text().encode("utf-8")}


def _last_index(session: Session) -> int | None:
    """The seq of the log's last event when it is a case index."""
    last = session.execute(select(Event.seq, Event.type).order_by(Event.seq.desc()).limit(1)).one_or_none()
    return last.seq if last is not None and last.type == CASE_INDEX else None


def append_case_index(session: Session) -> int:
    """Under the write lock: the seq of the log's last event if it is a case index already,
    else of the `log.case_index` event appended now over every event before it."""
    from ledger.current import current_state
    from ledger.events import NewEvent, append_events, lock_head

    head = lock_head(session)["seq"]
    seq = _last_index(session)
    if seq is not None:
        return seq
    root, entries = expected_index(current_state(session), head + 1)
    [done] = append_events(session, [NewEvent(CASE_INDEX, {"root": root, "entries": entries}, None)])
    return done.seq


def index_for_case(ledger, case_no: str, out: str | os.PathLike, force: bool = False,
                   from_file: str | None = None) -> tuple[str, int]:
    """(the case's number, the seq of the case index its bundle is cut at): the log's last
    event when it is one, else one appended now in its own write transaction, once the
    command's input has been checked. Refused, with nothing written, where the ledger cannot
    be written: a case bundle without its index would not prove that it holds every event of
    the case."""
    from ledger.errors import EnvironmentProblem
    from ledger.registry import get_case

    old = _read_checkpoint_file(from_file, "--from")[1] if from_file is not None else None
    with ledger.read() as session:
        _check_target(out, force, session.get_bind().url)
        case_no = get_case(session, case_no, "--case").case_no
        if old is not None:
            from ledger.log.checkpoints import require_contained

            require_contained(session, old, "--from")
        seq = _last_index(session)
    if seq is not None:
        return case_no, seq
    try:
        return case_no, ledger.write(append_case_index)
    except (EnvironmentProblem, RuleError) as exc:
        raise type(exc)(
            _("A case bundle proves that it holds every event of case {case} by a case index the ledger appends to "
              "its log first, and this ledger could not be written ({problem}); no bundle was written.").format(
                case=case_no, problem=exc.message.rstrip(".")),
            hint=_("Export it where the ledger can be written (on PostgreSQL with officers' own logins, as the "
                   "tables' owner, the login that runs 'evidence db upgrade'), or export the whole log with "
                   "'evidence export log --out DIR'.")) from exc


def _index_file(session: Session, case_no: str, seq: int) -> bytes:
    """The case-index file: the case's entry and the ledger-wide one, each with its path to
    the root of the case index at `seq`, which must be the root the index event says."""
    import json

    from ledger.current import CurrentState

    row = session.get(Event, seq)
    data = json.loads(row.body)["data"] if row is not None and row.type == CASE_INDEX else None
    cases, wide, keys = CurrentState(session).index_view(seq)
    leaves = index_leaves(cases, wide, keys)
    if data is None or (data.get("root"), data.get("entries")) != (tree_root(leaves).hex(), len(leaves)):
        raise VerificationFailed(
            _("The case index at seq {seq} is not the one the events before it give; no bundle was written.").format(
                seq=seq),
            hint=_("Run 'evidence verify' and explain its findings before exporting."))
    index_tree = Tree(leaves)
    count, last = cases.get(case_no, (0, 0))

    def entry(key: bytes, case: str | None, count: int, last: int) -> dict:
        at = leaves.index(entry_leaf(key, case, count, last))
        return {"events": count, "index": at, "last": last,
                "path": [node.hex() for node in index_tree.inclusion_proof(at, len(leaves))]}

    return canonical_json({"case": entry(keys.get(case_no, LEDGER_KEY), case_no, count, last),
                           "ledger": entry(LEDGER_KEY, None, *wide)}) + b"\n"


def export_log(session: Session, out: str | os.PathLike, case_no: str | None = None, force: bool = False,
               sign=None, *, batch: int = BATCH, from_file: str | None = None, index: int | None = None) -> dict:
    """Write the full bundle, or with `case_no` the case bundle, to `out` atomically; `sign`
    (a ledger.identity.keys.KeyFile) signs its checkpoint. A case bundle is cut at the case
    index `index` (`index_for_case`): its checkpoint's last leaf. Returns a summary."""
    from ledger.log import note
    from ledger.log.checkpoints import current_checkpoint

    database = session.get_bind().url
    target = _check_target(out, force, database)
    _snapshot(session)
    if case_no is not None:
        from ledger.registry import get_case

        case_no = get_case(session, case_no, "--case").case_no
        if index is None:
            raise RuntimeError("a case bundle is cut at a case index (index_for_case)")
        return _export_case(session, target, case_no, index, force=force, sign=sign, batch=batch,
                            from_file=from_file, database=database)
    checkpoint = current_checkpoint(session)
    text = checkpoint.to_text()
    if sign is not None:
        text = note.sign_note(text, sign.name, sign.private_key)
    size = checkpoint.size
    manifest = {"format": FORMAT, "kind": "full" if case_no is None else "case", "case": case_no,
                "tree_size": size, "origin": checkpoint.origin, "root": checkpoint.root.hex()}
    if case_no is None:
        edge, last = RightEdge(), {"head": None}

        def lines() -> Iterator[bytes]:
            for row, sigs in _signed(session, (Event.salt, Event.body, Event.hash), Event.seq <= size, batch=batch):
                edge.append(leaf_commitment(bytes.fromhex(row.salt), row.body.encode("utf-8")))
                last["head"] = f"{row.seq}:{row.hash}"
                yield canonical_json({"body": row.body, "hash": row.hash, "salt": row.salt, "seq": row.seq,
                                      "signatures": sigs}) + b"\n"
            if edge.root() != checkpoint.root:
                raise _not_the_log(edge.root(), checkpoint.root, size)

        return _write(session, target, kind="full", manifest=manifest, checkpoint_text=text, lines=lines,
                      head_of=lambda: last["head"], force=force, database=database,
                      extra=_proof_file(session, from_file, checkpoint))


def _export_case(session: Session, target: Path, case_no: str, index: int, *, force: bool, sign, batch: int,
                 from_file: str | None, database) -> dict:
    """The case bundle, cut at the case index `index`: its checkpoint is the log's first
    `index` events, whose last is that index."""
    from ledger.log import note
    from ledger.log.checkpoints import current_checkpoint

    current = current_checkpoint(session)
    leaves = _leaves(session, current.size, batch)
    tree = Tree(leaves)
    if tree.size != current.size or tree.root() != current.root:
        raise _not_the_log(tree.root(), current.root, current.size)
    checkpoint = note.Checkpoint(current.origin, index, tree.root(index))
    text = checkpoint.to_text()
    if sign is not None:
        text = note.sign_note(text, sign.name, sign.private_key)
    manifest = {"format": FORMAT, "kind": "case", "case": case_no, "tree_size": index, "origin": checkpoint.origin,
                "root": checkpoint.root.hex()}
    extra = {INDEX: _index_file(session, case_no, index), **_proof_file(session, from_file, checkpoint, tree)}
    where = or_(Event.case_no == case_no, Event.case_no.is_(None))
    return _write(session, target, kind="case", manifest=manifest, checkpoint_text=text,
                  lines=lambda: _proof_lines(session, tree, index, where, batch, leaves), head_of=lambda: None,
                  force=force, database=database, extra=extra)


_MAX_CHECKPOINT_FILE = 1024 * 1024


def _read_checkpoint_file(path: str, option: str = "--checkpoint"):
    """(the file's text, its Checkpoint): a signed note, or the bare checkpoint text."""
    from ledger.log import note

    try:
        with open(path, "rb") as handle:
            data = handle.read(_MAX_CHECKPOINT_FILE + 1)
    except (OSError, ValueError):
        # read_signed_checkpoint words each reason (missing, a folder, unreadable).
        return note.read_signed_checkpoint(path)
    if b"\n\n" in data or len(data) > _MAX_CHECKPOINT_FILE:
        return note.read_signed_checkpoint(path)
    try:
        text = data.decode("utf-8")
        return text, note.parse_checkpoint(text)
    except UnicodeDecodeError:
        raise InputError(_("{option} {path} is not text. Give the file 'evidence checkpoint' wrote.").format(
            option=option, path=path)) from None
    except note.NoteError as exc:
        raise type(exc)(f"{option} {path}: {exc.message}", hint=exc.hint) from None


def prove_items(session: Session, refs: list[str], out: str | os.PathLike, *, checkpoint_file: str | None = None,
                force: bool = False, batch: int = BATCH, from_file: str | None = None) -> dict:
    """Write an items bundle: the events that name these items and the ledger-wide ones, with
    inclusion proofs against the current checkpoint or the one in `checkpoint_file`."""
    from ledger.items import get_item
    from ledger.log.checkpoints import current_checkpoint, ledger_origin

    database = session.get_bind().url
    target = _check_target(out, force, database)
    _snapshot(session)
    items = {}
    for ref in refs:
        item = get_item(session, ref, "ITEM")
        items[item.no] = item.id
    current = current_checkpoint(session)
    if checkpoint_file is None:
        checkpoint, text = current, current.to_text()
    else:
        text, checkpoint = _read_checkpoint_file(checkpoint_file)
        if checkpoint.origin != ledger_origin(session):
            raise InputError(_("--checkpoint {path} is of the log {theirs}, not of this ledger ({ours}).").format(
                path=checkpoint_file, theirs=checkpoint.origin, ours=current.origin),
                hint=_("Give a checkpoint this ledger wrote."))
        if not 1 <= checkpoint.size <= current.size:
            raise RuleError(_("--checkpoint {path} has tree size {size}, but this log has {events} events.").format(
                path=checkpoint_file, size=checkpoint.size, events=current.size),
                hint=_("Give a checkpoint this ledger wrote, of a size from 1 to {events}.").format(
                    events=current.size))
    size = checkpoint.size
    leaves = _leaves(session, current.size, batch)
    tree = Tree(leaves)
    if tree.root() != current.root:
        raise _not_the_log(tree.root(), current.root, current.size)
    if tree.root(size) != checkpoint.root:
        raise VerificationFailed(
            _("--checkpoint {path}: this log's root at size {size} is {root}, not the checkpoint's {kept}: the log no "
              "longer extends that checkpoint; no bundle was written.").format(
                path=checkpoint_file, size=size, root=tree.root(size).hex(), kept=checkpoint.root.hex()),
            hint=_("Run 'evidence verify --since' with that checkpoint and explain its findings."))
    named = select(EventItem.seq).where(EventItem.item_no.in_(list(items)))
    late = [label for no, label in sorted(items.items()) if session.execute(
        select(EventItem.seq).where(EventItem.item_no == no, EventItem.seq <= size).limit(1)).first() is None]
    if late:
        raise RuleError(_("Item(s) {items} were registered after the checkpoint of size {size}, so it holds none of "
                          "their events.").format(items=", ".join(late), size=size),
                        hint=_("Prove them against a later checkpoint, or leave out --checkpoint to use the current "
                               "one."))
    manifest = {"format": FORMAT, "kind": "items", "case": None, "items": sorted(items.values()),
                "tree_size": size, "origin": checkpoint.origin, "root": checkpoint.root.hex()}
    # The items' provenance too: the opening of their cases and the seizures they came from.
    cases = {get_item(session, label, "ITEM").case_no for label in items.values()}
    where = or_(Event.seq.in_(named), Event.case_no.is_(None),
                Event.case_no.in_(cases) & Event.type.in_(PROVENANCE_TYPES))
    return _write(session, target, kind="items", manifest=manifest, checkpoint_text=text,
                  lines=lambda: _proof_lines(session, tree, size, where, batch, leaves), head_of=lambda: None,
                  force=force, database=database, extra=_proof_file(session, from_file, checkpoint, tree))
