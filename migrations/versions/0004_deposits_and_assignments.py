"""Peru's workflow: cash deposits with their vouchers, and temporary-use assignments

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:00:00

Two new tables, both replayed from the custody log like every other; no existing table
changes (the events table and its triggers are left alone).
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('deposits',
    sa.Column('item_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('seq', SEQ, nullable=False),
    sa.Column('deposited_at', sa.String(length=20), nullable=False),
    sa.Column('deposited_by', sa.String(length=32), nullable=False),
    sa.Column('bank', sa.String(length=200), nullable=False),
    sa.Column('account', sa.String(length=64), nullable=False),
    sa.Column('voucher', sa.String(length=64), nullable=False),
    sa.Column('court_order', sa.String(length=200), nullable=True),
    sa.CheckConstraint('item_no >= 1', name=op.f('ck_deposits_item_no_positive')),
    sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_deposits_case_no_cases')),
    sa.ForeignKeyConstraint(['deposited_by'], ['officers.badge'], name=op.f('fk_deposits_deposited_by_officers')),
    sa.ForeignKeyConstraint(['item_no'], ['items.no'], name=op.f('fk_deposits_item_no_items')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_deposits_seq_events')),
    sa.PrimaryKeyConstraint('item_no', name=op.f('pk_deposits'))
    )
    with op.batch_alter_table('deposits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deposits_case_no'), ['case_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_deposits_seq'), ['seq'], unique=False)

    op.create_table('assignments',
    sa.Column('seq', SEQ, autoincrement=False, nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('assigned_at', sa.String(length=20), nullable=False),
    sa.Column('entity', sa.String(length=200), nullable=False),
    sa.Column('court_order', sa.String(length=200), nullable=False),
    sa.Column('until', sa.String(length=10), nullable=False),
    sa.Column('returned_seq', sa.BigInteger(), nullable=True),
    sa.Column('returned_at', sa.String(length=20), nullable=True),
    sa.CheckConstraint('seq >= 1 AND item_no >= 1', name=op.f('ck_assignments_keys_positive')),
    sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_assignments_case_no_cases')),
    sa.ForeignKeyConstraint(['item_no'], ['items.no'], name=op.f('fk_assignments_item_no_items')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_assignments_seq_events')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_assignments'))
    )
    with op.batch_alter_table('assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignments_case_no'), ['case_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignments_item_no'), ['item_no'], unique=False)


def downgrade() -> None:
    op.drop_table('assignments')
    op.drop_table('deposits')
