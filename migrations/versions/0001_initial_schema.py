"""initial schema: the event log, its projections, and the triggers that keep the log append-only

Revision ID: 0001
Revises: 
Create Date: 2026-11-28 15:40:50.655622
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('chain_head',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('seq', sa.BigInteger(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_chain_head'))
    )
    op.create_table('events',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=False, nullable=False),
    sa.Column('recorded_at', sa.String(length=20), nullable=False),
    sa.Column('occurred_at', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=32), nullable=True),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_events')),
    sa.UniqueConstraint('hash', name=op.f('uq_events_hash'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_case_no'), ['case_no'], unique=False)

    op.create_table('locations',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('added_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['added_seq'], ['events.seq'], name=op.f('fk_locations_added_seq_events')),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_locations'))
    )
    op.create_table('officers',
    sa.Column('badge', sa.String(length=32), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('unit', sa.String(length=200), nullable=True),
    sa.Column('added_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['added_seq'], ['events.seq'], name=op.f('fk_officers_added_seq_events')),
    sa.PrimaryKeyConstraint('badge', name=op.f('pk_officers'))
    )
    op.create_table('rates',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('date', sa.String(length=10), nullable=False),
    sa.Column('base', sa.String(length=3), nullable=False),
    sa.Column('quote', sa.String(length=3), nullable=False),
    sa.Column('side', sa.String(length=4), nullable=False),
    sa.Column('source', sa.String(length=100), nullable=False),
    sa.Column('rate', sa.String(length=40), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('superseded_seq', sa.BigInteger(), nullable=True),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_rates_seq_events')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rates'))
    )
    with op.batch_alter_table('rates', schema=None) as batch_op:
        batch_op.create_index('ix_rates_lookup', ['base', 'quote', 'side', 'date'], unique=False)
        batch_op.create_index(batch_op.f('ix_rates_seq'), ['seq'], unique=False)

    op.create_table('requests',
    sa.Column('request_id', sa.String(length=128), nullable=False),
    sa.Column('command', sa.String(length=40), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('result', sa.Text(), nullable=False),
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_requests_seq_events')),
    sa.PrimaryKeyConstraint('request_id', name=op.f('pk_requests'))
    )
    op.create_table('cases',
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('prosecutor', sa.String(length=32), nullable=True),
    sa.Column('court', sa.String(length=200), nullable=True),
    sa.Column('opened_by', sa.String(length=32), nullable=False),
    sa.Column('opened_at', sa.String(length=20), nullable=False),
    sa.Column('opened_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['opened_by'], ['officers.badge'], name=op.f('fk_cases_opened_by_officers')),
    sa.ForeignKeyConstraint(['opened_seq'], ['events.seq'], name=op.f('fk_cases_opened_seq_events')),
    sa.ForeignKeyConstraint(['prosecutor'], ['officers.badge'], name=op.f('fk_cases_prosecutor_officers')),
    sa.PrimaryKeyConstraint('case_no', name=op.f('pk_cases'))
    )
    op.create_table('seizures',
    sa.Column('no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('acta', sa.String(length=64), nullable=True),
    sa.Column('occurred_at', sa.String(length=20), nullable=False),
    sa.Column('place', sa.String(length=500), nullable=False),
    sa.Column('officer', sa.String(length=32), nullable=False),
    sa.Column('from_persons', sa.Text(), nullable=False),
    sa.Column('witnesses', sa.Text(), nullable=False),
    sa.Column('recorded_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_seizures_case_no_cases')),
    sa.ForeignKeyConstraint(['officer'], ['officers.badge'], name=op.f('fk_seizures_officer_officers')),
    sa.ForeignKeyConstraint(['recorded_seq'], ['events.seq'], name=op.f('fk_seizures_recorded_seq_events')),
    sa.PrimaryKeyConstraint('no', name=op.f('pk_seizures')),
    sa.UniqueConstraint('id', name=op.f('uq_seizures_id'))
    )
    with op.batch_alter_table('seizures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_seizures_case_no'), ['case_no'], unique=False)

    op.create_table('items',
    sa.Column('no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('seizure_no', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('holder', sa.String(length=32), nullable=True),
    sa.Column('location', sa.String(length=64), nullable=True),
    sa.Column('seal', sa.String(length=64), nullable=True),
    sa.Column('registered_seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('last_seq', sa.BigInteger(), nullable=False),
    sa.Column('last_at', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('amount_minor', sa.BigInteger(), nullable=True),
    sa.Column('denominations', sa.String(length=500), nullable=True),
    sa.Column('counted_by', sa.String(length=32), nullable=True),
    sa.Column('verified_by', sa.String(length=32), nullable=True),
    sa.Column('make', sa.String(length=100), nullable=True),
    sa.Column('model', sa.String(length=100), nullable=True),
    sa.Column('plate', sa.String(length=16), nullable=True),
    sa.Column('plate_kind', sa.String(length=10), nullable=True),
    sa.Column('vin', sa.String(length=17), nullable=True),
    sa.Column('year', sa.Integer(), nullable=True),
    sa.Column('color', sa.String(length=50), nullable=True),
    sa.Column('value_currency', sa.String(length=3), nullable=True),
    sa.Column('value_minor', sa.BigInteger(), nullable=True),
    sa.Column('imei', sa.String(length=15), nullable=True),
    sa.Column('imei2', sa.String(length=15), nullable=True),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=True),
    sa.Column('pages', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('file_size', sa.BigInteger(), nullable=True),
    sa.Column('disposition', sa.String(length=24), nullable=True),
    sa.Column('authority', sa.String(length=200), nullable=True),
    sa.Column('disposed_to', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_items_case_no_cases')),
    sa.ForeignKeyConstraint(['counted_by'], ['officers.badge'], name=op.f('fk_items_counted_by_officers')),
    sa.ForeignKeyConstraint(['holder'], ['officers.badge'], name=op.f('fk_items_holder_officers')),
    sa.ForeignKeyConstraint(['location'], ['locations.code'], name=op.f('fk_items_location_locations')),
    sa.ForeignKeyConstraint(['registered_seq'], ['events.seq'], name=op.f('fk_items_registered_seq_events')),
    sa.ForeignKeyConstraint(['seizure_no'], ['seizures.no'], name=op.f('fk_items_seizure_no_seizures')),
    sa.ForeignKeyConstraint(['verified_by'], ['officers.badge'], name=op.f('fk_items_verified_by_officers')),
    sa.PrimaryKeyConstraint('no', name=op.f('pk_items')),
    sa.UniqueConstraint('id', name=op.f('uq_items_id'))
    )
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_items_case_no'), ['case_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_holder'), ['holder'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_imei'), ['imei'], unique=False)
        batch_op.create_index(batch_op.f('ix_items_seizure_no'), ['seizure_no'], unique=False)

    op.create_table('event_items',
    sa.Column('seq', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_no'], ['items.no'], name=op.f('fk_event_items_item_no_items')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_event_items_seq_events')),
    sa.PrimaryKeyConstraint('seq', 'item_no', name=op.f('pk_event_items'))
    )
    with op.batch_alter_table('event_items', schema=None) as batch_op:
        batch_op.create_index('ix_event_items_item_no_seq', ['item_no', 'seq'], unique=False)


    op.execute("INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
    _create_append_only_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table('event_items', schema=None) as batch_op:
        batch_op.drop_index('ix_event_items_item_no_seq')

    op.drop_table('event_items')
    with op.batch_alter_table('items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_items_seizure_no'))
        batch_op.drop_index(batch_op.f('ix_items_imei'))
        batch_op.drop_index(batch_op.f('ix_items_holder'))
        batch_op.drop_index(batch_op.f('ix_items_case_no'))

    op.drop_table('items')
    with op.batch_alter_table('seizures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_seizures_case_no'))

    op.drop_table('seizures')
    op.drop_table('cases')
    op.drop_table('requests')
    with op.batch_alter_table('rates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rates_seq'))
        batch_op.drop_index('ix_rates_lookup')

    op.drop_table('rates')
    op.drop_table('officers')
    op.drop_table('locations')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_case_no'))

    op.drop_table('events')
    op.drop_table('chain_head')


# The log is append-only: the database itself refuses to change or remove an event.
def _create_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER events_no_{action.lower()} BEFORE {action} ON events "
                "BEGIN SELECT RAISE(ABORT, 'events are append-only: record a correcting event instead'); END"
            )
        return
    op.execute(
        """
        CREATE FUNCTION evidence_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'events are append-only: record a correcting event instead'
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_no_update_delete BEFORE UPDATE OR DELETE ON events "
        "FOR EACH ROW EXECUTE FUNCTION evidence_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events "
        "FOR EACH STATEMENT EXECUTE FUNCTION evidence_events_append_only()"
    )


def _drop_append_only_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS events_no_update")
        op.execute("DROP TRIGGER IF EXISTS events_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS events_no_update_delete ON events")
    op.execute("DROP TRIGGER IF EXISTS events_no_truncate ON events")
    op.execute("DROP FUNCTION IF EXISTS evidence_events_append_only()")
