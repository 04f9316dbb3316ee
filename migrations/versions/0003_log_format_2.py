"""log format 2: a random salt per event, and the Merkle tree's root and right edge in the head

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 05:00:00

Every event gets 32 random bytes; its leaf is SHA-256(0x00 || salt || body), and the leaves
in seq order form an RFC 6962 tree whose root and right edge the chain head keeps. Events
written before keep their format 1 bodies and hashes; the format 1 chain is checked first,
and `evidence db upgrade` records its last head in a `log.upgraded` event.
"""
import hashlib
import secrets

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 5000


def upgrade() -> None:
    from ledger.errors import VerificationFailed
    from ledger.log.merkle import RightEdge, leaf_commitment

    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    with op.batch_alter_table("events") as batch_op:
        batch_op.add_column(sa.Column("salt", sa.String(length=64), nullable=True))
    with op.batch_alter_table("chain_head") as batch_op:
        batch_op.add_column(sa.Column("root", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("edge", sa.Text(), nullable=True))
    _drop_triggers(sqlite)
    edge = RightEdge()
    prev, last = GENESIS, 0
    while True:
        rows = bind.execute(sa.text("SELECT seq, body, prev_hash, hash FROM events WHERE seq > :last ORDER BY seq "
                                    "LIMIT :n"), {"last": last, "n": BATCH}).all()
        if not rows:
            break
        salts = []
        for seq, body, prev_hash, digest in rows:
            if (seq != last + 1 or prev_hash != prev
                    or hashlib.sha256((prev_hash + body).encode("utf-8")).hexdigest() != digest):
                raise VerificationFailed(
                    f"The log does not verify at event seq {seq}; it is not upgraded to format 2 over a broken "
                    "history, and nothing was changed.",
                    hint="Run 'evidence verify' with the previous release and have the findings explained.")
            salt = secrets.token_bytes(32)
            edge.append(leaf_commitment(salt, body.encode("utf-8")))
            salts.append({"s": seq, "salt": salt.hex()})
            prev, last = digest, seq
        bind.execute(sa.text("UPDATE events SET salt = :salt WHERE seq = :s"), salts)
    bind.execute(sa.text("UPDATE chain_head SET root = :root, edge = :edge WHERE id = 1"),
                 {"root": edge.root().hex(), "edge": edge.to_text()})
    with op.batch_alter_table("events") as batch_op:
        batch_op.alter_column("salt", existing_type=sa.String(length=64), nullable=False)
    with op.batch_alter_table("chain_head") as batch_op:
        batch_op.alter_column("root", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("edge", existing_type=sa.Text(), nullable=False)
    _create_triggers(sqlite)


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    _drop_triggers(sqlite)
    with op.batch_alter_table("chain_head") as batch_op:
        batch_op.drop_column("edge")
        batch_op.drop_column("root")
    with op.batch_alter_table("events") as batch_op:
        batch_op.drop_column("salt")
    _create_triggers(sqlite)


def _drop_triggers(sqlite: bool) -> None:
    if sqlite:
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS events_no_update_delete ON events")


def _create_triggers(sqlite: bool) -> None:
    if sqlite:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correcting event instead'); END"
            )
    else:
        op.execute(
            "CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events "
            "FOR EACH ROW EXECUTE FUNCTION evidence_events_append_only()"
        )
