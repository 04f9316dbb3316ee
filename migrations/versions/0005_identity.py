"""Identity: officers' keys, a signature on every event, handovers the receiver accepts, and
PostgreSQL login roles mapped to badges

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 08:00:00

`event_signatures` is part of the record, append-only like `events`. On PostgreSQL a
trigger refuses an event whose actor is not the badge mapped to the connected login role.
"""
from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

SEQ = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('event_signatures',
    sa.Column('seq', SEQ, nullable=False),
    sa.Column('signer', sa.String(length=32), nullable=False),
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('signature', sa.String(length=128), nullable=False),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_event_signatures_seq_positive')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_event_signatures_seq_events')),
    sa.PrimaryKeyConstraint('seq', 'signer', name=op.f('pk_event_signatures'))
    )
    op.create_table('officer_keys',
    sa.Column('key_id', sa.String(length=16), nullable=False),
    sa.Column('badge', sa.String(length=32), nullable=False),
    sa.Column('public_key', sa.String(length=64), nullable=False),
    sa.Column('added_seq', SEQ, nullable=False),
    sa.Column('revoked_seq', sa.BigInteger(), nullable=True),
    sa.Column('revoked_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['added_seq'], ['events.seq'], name=op.f('fk_officer_keys_added_seq_events')),
    sa.ForeignKeyConstraint(['badge'], ['officers.badge'], name=op.f('fk_officer_keys_badge_officers')),
    sa.PrimaryKeyConstraint('key_id', name=op.f('pk_officer_keys'))
    )
    with op.batch_alter_table('officer_keys', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_officer_keys_badge'), ['badge'], unique=False)
    op.create_table('officer_logins',
    sa.Column('role_name', sa.String(length=63), nullable=False),
    sa.Column('badge', sa.String(length=32), nullable=False),
    sa.Column('seq', SEQ, nullable=False),
    sa.ForeignKeyConstraint(['badge'], ['officers.badge'], name=op.f('fk_officer_logins_badge_officers')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_officer_logins_seq_events')),
    sa.PrimaryKeyConstraint('role_name', name=op.f('pk_officer_logins'))
    )
    op.create_table('settings',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('value', sa.String(length=200), nullable=False),
    sa.Column('seq', SEQ, nullable=False),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_settings_seq_events')),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_settings'))
    )
    op.create_table('offers',
    sa.Column('seq', SEQ, nullable=False),
    sa.Column('item_no', sa.Integer(), nullable=False),
    sa.Column('case_no', sa.String(length=64), nullable=False),
    sa.Column('from_badge', sa.String(length=32), nullable=False),
    sa.Column('to_badge', sa.String(length=32), nullable=False),
    sa.Column('closed_seq', sa.BigInteger(), nullable=True),
    sa.Column('outcome', sa.String(length=10), nullable=True),
    sa.Column('seal_check', sa.String(length=500), nullable=True),
    sa.CheckConstraint('seq >= 1 AND item_no >= 1', name=op.f('ck_offers_keys_positive')),
    sa.ForeignKeyConstraint(['case_no'], ['cases.case_no'], name=op.f('fk_offers_case_no_cases')),
    sa.ForeignKeyConstraint(['from_badge'], ['officers.badge'], name=op.f('fk_offers_from_badge_officers')),
    sa.ForeignKeyConstraint(['item_no'], ['items.no'], name=op.f('fk_offers_item_no_items')),
    sa.ForeignKeyConstraint(['seq'], ['events.seq'], name=op.f('fk_offers_seq_events')),
    sa.ForeignKeyConstraint(['to_badge'], ['officers.badge'], name=op.f('fk_offers_to_badge_officers')),
    sa.PrimaryKeyConstraint('seq', 'item_no', name=op.f('pk_offers'))
    )
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_offers_to_badge'), ['to_badge'], unique=False)
    _create_triggers()


def downgrade() -> None:
    _drop_triggers()
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_offers_to_badge'))
    op.drop_table('offers')
    op.drop_table('settings')
    op.drop_table('officer_logins')
    with op.batch_alter_table('officer_keys', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_officer_keys_badge'))
    op.drop_table('officer_keys')
    op.drop_table('event_signatures')


# Events whose writer must be an admin's login role (officer and key management).
ADMIN_TYPES = "ARRAY['officer.added','officer.updated','officer.key_added','officer.key_revoked'," \
              "'officer.login_mapped','location.added']"


def _create_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER event_signatures_no_{action.lower()} BEFORE {action} ON event_signatures "
                "BEGIN SELECT RAISE(ABORT, 'signatures are append-only, like the events they sign'); END"
            )
        return
    op.execute(
        "CREATE TRIGGER event_signatures_no_update_delete BEFORE UPDATE OR DELETE ON event_signatures "
        "FOR EACH ROW EXECUTE FUNCTION evidence_events_append_only()"
    )
    op.execute(
        "CREATE TRIGGER event_signatures_no_truncate BEFORE TRUNCATE ON event_signatures "
        "FOR EACH STATEMENT EXECUTE FUNCTION evidence_events_append_only()"
    )
    # The server authenticates the login; this maps it to the one badge it may write as. A
    # login without a mapping may write only while no login is mapped at all (a ledger that
    # does not use per-officer logins), or when it owns the events table (db upgrade, init).
    op.execute(
        f"""
        CREATE FUNCTION evidence_events_actor_is_login() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            mapped text;
            mapped_role text;
        BEGIN
            SELECT l.badge, o.role INTO mapped, mapped_role
              FROM officer_logins l JOIN officers o ON o.badge = l.badge
             WHERE l.role_name = session_user;
            IF mapped IS NULL THEN
                IF EXISTS (SELECT 1 FROM officer_logins)
                   AND session_user <> (SELECT tableowner FROM pg_tables
                                         WHERE schemaname = current_schema() AND tablename = 'events')
                   AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = session_user) THEN
                    RAISE EXCEPTION 'database login % is not mapped to a badge, so it may not write events', session_user
                        USING ERRCODE = 'insufficient_privilege';
                END IF;
                RETURN NEW;
            END IF;
            IF NEW.actor IS DISTINCT FROM mapped THEN
                RAISE EXCEPTION 'database login % writes as badge %, not as %', session_user, mapped, NEW.actor
                    USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF NEW.type = ANY({ADMIN_TYPES}) AND mapped_role <> 'admin' THEN
                RAISE EXCEPTION 'database login % (badge %) is not an admin login, so it may not manage officers',
                    session_user, mapped USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN NEW;
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER events_actor_is_login BEFORE INSERT ON events "
        "FOR EACH ROW EXECUTE FUNCTION evidence_events_actor_is_login()"
    )


def _drop_triggers() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS event_signatures_no_update")
        op.execute("DROP TRIGGER IF EXISTS event_signatures_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS events_actor_is_login ON events")
    op.execute("DROP FUNCTION IF EXISTS evidence_events_actor_is_login()")
    op.execute("DROP TRIGGER IF EXISTS event_signatures_no_update_delete ON event_signatures")
    op.execute("DROP TRIGGER IF EXISTS event_signatures_no_truncate ON event_signatures")
