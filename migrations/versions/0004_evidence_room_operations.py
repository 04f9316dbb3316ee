"""Evidence-room operations: cash deposits with their vouchers, temporary-use assignments, and
inventory audits with their checks and findings

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 06:00:00

New tables, all replayed from the custody log like every other; no existing table
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


    op.create_table('audits',
    sa.Column('no', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('id', sa.String(length=16), nullable=False),
    sa.Column('location', sa.String(length=64), nullable=False),
    sa.Column('started_seq', SEQ, nullable=False),
    sa.Column('started_at', sa.String(length=20), nullable=False),
    sa.Column('started_by', sa.String(length=32), nullable=False),
    sa.Column('requested', sa.Integer(), nullable=True),
    sa.Column('confidence', sa.Integer(), nullable=True),
    sa.Column('tolerance', sa.Integer(), nullable=True),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('seed', sa.String(length=64), nullable=False),
    sa.Column('sample', sa.Text(), nullable=False),
    sa.Column('closed_seq', sa.BigInteger(), nullable=True),
    sa.Column('closed_at', sa.String(length=20), nullable=True),
    sa.Column('closed_by', sa.String(length=32), nullable=True),
    sa.CheckConstraint('no >= 1', name=op.f('ck_audits_no_positive')),
    sa.ForeignKeyConstraint(['location'], ['locations.code'], name=op.f('fk_audits_location_locations')),
    sa.ForeignKeyConstraint(['started_by'], ['officers.badge'], name=op.f('fk_audits_started_by_officers')),
    sa.ForeignKeyConstraint(['started_seq'], ['events.seq'], name=op.f('fk_audits_started_seq_events')),
    sa.PrimaryKeyConstraint('no', name=op.f('pk_audits')),
    sa.UniqueConstraint('id', name=op.f('uq_audits_id'))
    )
    op.create_table('audit_checks',
    sa.Column('audit_no', sa.Integer(), nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.Column('seq', SEQ, nullable=False),
    sa.Column('checked_at', sa.String(length=20), nullable=False),
    sa.Column('checked_by', sa.String(length=32), nullable=False),
    sa.Column('result', sa.String(length=8), nullable=False),
    sa.Column('in_scope', sa.Integer(), nullable=False),
    sa.Column('seal', sa.String(length=64), nullable=True),
    sa.Column('location', sa.String(length=64), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('record_seal', sa.String(length=64), nullable=True),
    sa.Column('record_location', sa.String(length=64), nullable=True),
    sa.CheckConstraint('audit_no >= 1 AND item_no >= 1', name=op.f('ck_audit_checks_keys_positive')),
    sa.ForeignKeyConstraint(['audit_no'], ['audits.no'], name=op.f('fk_audit_checks_audit_no_audits')),
    sa.ForeignKeyConstraint(['checked_by'], ['officers.badge'], name=op.f('fk_audit_checks_checked_by_officers')),
    sa.ForeignKeyConstraint(['item_no'], ['items.no'], name=op.f('fk_audit_checks_item_no_items')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_audit_checks_seq_events')),
    sa.PrimaryKeyConstraint('audit_no', 'item_no', name=op.f('pk_audit_checks'))
    )
    op.create_table('audit_findings',
    sa.Column('audit_no', sa.Integer(), nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('detail', sa.String(length=500), nullable=False),
    sa.CheckConstraint('audit_no >= 1 AND item_no >= 1', name=op.f('ck_audit_findings_keys_positive')),
    sa.ForeignKeyConstraint(['audit_no'], ['audits.no'], name=op.f('fk_audit_findings_audit_no_audits')),
    sa.ForeignKeyConstraint(['item_no'], ['items.no'], name=op.f('fk_audit_findings_item_no_items')),
    sa.PrimaryKeyConstraint('audit_no', 'item_no', 'kind', name=op.f('pk_audit_findings'))
    )


def downgrade() -> None:
    op.drop_table('audit_findings')
    op.drop_table('audit_checks')
    op.drop_table('audits')
    op.drop_table('assignments')
    op.drop_table('deposits')
