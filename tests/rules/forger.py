"""An insider with write access to the database and their own key: appends an event straight
to the log, with a valid chain link, salted leaf, tree head and signatures by the keys they
hold, and then makes every current-state table agree with the log (the replay without its
rules, as `ledger.rebuild` with follow_rules=False writes it). What remains to catch the act is
the rulebook itself."""

from __future__ import annotations

from secrets import token_bytes

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger.db import make_engine
from ledger.events import SALT_BYTES, build_body, chain_hash
from ledger.identity import keys, signing
from ledger.log.merkle import RightEdge, leaf_commitment
from ledger.models import ChainHead, Event, EventSignature, insert_rows
from ledger.rebuild import rebuild_tables
from ledger.rules.custody import required_signers
from tests.helpers import PASSPHRASE

RECORDED = "2026-01-05T12:00:00Z"


def forge(cli, type_: str, data: dict, *, actor: str | None, case: str | None = None, items=(),
          occurred_at: str = "2021-06-01T12:00:00Z", signers=None, unsigned: bool = False) -> int:
    """Append the event; returns its seq. `signers` (default: those the body names) sign with
    their key files in the test's keys folder."""
    engine = make_engine(cli.db_url)
    try:
        with Session(engine) as session, session.begin():
            head = session.execute(select(ChainHead).where(ChainHead.id == 1)).scalar_one()
            seq = head.seq + 1
            body = build_body(seq=seq, type=type_, recorded_at=RECORDED, occurred_at=occurred_at, actor=actor,
                              case_no=case, items=list(items), data=data)
            digest = chain_hash(head.hash, body)
            salt = token_bytes(SALT_BYTES)
            leaf = leaf_commitment(salt, body)
            edge = RightEdge.from_text(head.edge)
            edge.append(leaf)
            conn = session.connection()
            insert_rows(conn, Event.__table__, [{
                "seq": seq, "recorded_at": RECORDED, "occurred_at": occurred_at, "actor": actor, "type": type_,
                "case_no": case, "body": body.decode("utf-8"), "prev_hash": head.hash, "hash": digest,
                "salt": salt.hex()}])
            if not unsigned:
                message = signing.message_to_sign(session, seq, leaf, type_, data)
                rows = []
                for badge in signers or required_signers(actor, data):
                    key = keys.load_key_file(cli.key_path(badge), PASSPHRASE)
                    rows.append({"seq": seq, "signer": badge, "key_id": signing.key_id(key.public_key),
                                 "signature": key.private_key.sign(message).hex()})
                insert_rows(conn, EventSignature.__table__, rows)
            conn.execute(update(ChainHead.__table__).where(ChainHead.__table__.c.id == 1).values(
                seq=seq, hash=digest, root=edge.root().hex(), edge=edge.to_text()))
            rebuild_tables(session, follow_rules=False)
        return seq
    finally:
        engine.dispose()
