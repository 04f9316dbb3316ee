"""Review dates of items and court orders on cases (the last two rules of `evidence due`)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 06:47:45

Two new tables, replayed from the log like every other; no existing table changes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('case_orders',
    sa.Column('seq', SEQ, autoincrement=False, nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('court_order', sa.String(length=200), nullable=False),
    sa.Column('is_final', sa.Integer(), nullable=False),
    sa.Column('ordered_at', sa.String(length=20), nullable=False),
    sa.Column('recorded_by', sa.String(length=32), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.CheckConstraint('seq >= 1 AND is_final IN (0, 1)', name=op.f('ck_case_orders_seq_and_flag')),
    sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_case_orders_case_no_cases')),
    sa.ForeignKeyConstraint(['recorded_by'], ['officers.badge'], name=op.f('fk_case_orders_recorded_by_officers')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_case_orders_seq_events')),
    sa.PrimaryKeyConstraint('seq', name=op.f('pk_case_orders'))
    )
    with op.batch_alter_table('case_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_orders_case_no'), ['case_no'], unique=False)

    op.create_table('item_reviews',
    sa.Column('item_no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('review_on', sa.String(length=10), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('seq', SEQ, nullable=False),
    sa.Column('set_at', sa.String(length=20), nullable=False),
    sa.Column('set_by', sa.String(length=32), nullable=False),
    sa.CheckConstraint('item_no >= 1', name=op.f('ck_item_reviews_item_no_positive')),
    sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_item_reviews_case_no_cases')),
    sa.ForeignKeyConstraint(['item_no'], ['items.no'], name=op.f('fk_item_reviews_item_no_items')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_item_reviews_seq_events')),
    sa.ForeignKeyConstraint(['set_by'], ['officers.badge'], name=op.f('fk_item_reviews_set_by_officers')),
    sa.PrimaryKeyConstraint('item_no', name=op.f('pk_item_reviews'))
    )
    with op.batch_alter_table('item_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_item_reviews_case_no'), ['case_no'], unique=False)
        batch_op.create_index(batch_op.f('ix_item_reviews_seq'), ['seq'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('item_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_item_reviews_seq'))
        batch_op.drop_index(batch_op.f('ix_item_reviews_case_no'))

    op.drop_table('item_reviews')
    with op.batch_alter_table('case_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_orders_case_no'))

    op.drop_table('case_orders')
