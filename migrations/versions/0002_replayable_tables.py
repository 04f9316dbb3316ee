"""every table replayable from the log: positive keys, rates keyed by their event, request ids in events

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 04:40:00

Keys and sequence numbers below 1 are never produced by the replay, so the schema refuses
them. A rate row is keyed by the event that recorded it and what it priced (an
autoincrement id cannot be replayed: PostgreSQL sequences skip values on rollback). A
request id is kept in the body of the event that used it, so its row holds no result.
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

CHECKS = (
    ("events", "seq_positive", "seq >= 1"),
    ("event_items", "keys_positive", "seq >= 1 AND item_no >= 1"),
    ("chain_head", "single_row", "id = 1 AND seq >= 0"),
    ("seizures", "no_positive", "no >= 1"),
    ("items", "keys_positive", "no >= 1 AND last_seq >= registered_seq"),
)
RATE_KEY = ["seq", "date", "base", "quote", "side"]


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # batch mode rebuilds the events table; its triggers are made again after
        _drop_sqlite_triggers()
    for table, name, condition in CHECKS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.create_check_constraint(name, condition)
    with op.batch_alter_table("rates") as batch_op:
        batch_op.drop_constraint("pk_rates", type_="primary")
        batch_op.drop_column("id")
        batch_op.create_primary_key("pk_rates", RATE_KEY)
    with op.batch_alter_table("requests") as batch_op:
        batch_op.drop_column("result")
    if sqlite:
        _create_sqlite_triggers()


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    if sqlite:  # batch mode rebuilds the events table; its triggers are made again after
        _drop_sqlite_triggers()
    with op.batch_alter_table("requests") as batch_op:
        batch_op.add_column(sa.Column("result", sa.Text(), nullable=False, server_default="{}"))
    with op.batch_alter_table("rates") as batch_op:
        batch_op.drop_constraint("pk_rates", type_="primary")
    if sqlite:
        # An INTEGER PRIMARY KEY left empty takes the row id: every row gets a number.
        with op.batch_alter_table("rates", recreate="always") as batch_op:
            batch_op.add_column(sa.Column("id", sa.Integer(), nullable=True))
            batch_op.create_primary_key("pk_rates", ["id"])
    else:
        op.execute("ALTER TABLE rates ADD COLUMN id SERIAL")
        op.create_primary_key("pk_rates", "rates", ["id"])
    for table, name, _condition in reversed(CHECKS):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
    if sqlite:
        _create_sqlite_triggers()


def _drop_sqlite_triggers() -> None:
    op.execute("DROP TRIGGER IF EXISTS events_no_update")
    op.execute("DROP TRIGGER IF EXISTS events_no_delete")


def _create_sqlite_triggers() -> None:
    for action in ("UPDATE", "DELETE"):
        op.execute(
            f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
            "BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correcting event instead'); END"
        )
