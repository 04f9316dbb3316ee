"""The database defends itself (PostgreSQL): only admins' logins change officers, keys, login
mappings, settings and locations; an event is stored only if it extends the chain; a signature
only in the transaction that appends its event; the chain head only moved to the last event

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 02:00:00

Nothing changes on SQLite (one file, one user: there is no login to tell apart). On
PostgreSQL the rules are triggers, which the application role cannot switch off because it
does not own the tables (docs/postgresql.md, "What the database refuses"). Superusers are let
through: they could disable any trigger anyway, and `evidence verify` finds what they change.

The chain check computes SHA-256 with pgcrypto's `digest()` when the extension is installed
or can be created here (it is a trusted extension: the database's owner may create it); without
it, with PostgreSQL's own `sha256()` (PostgreSQL 11 and later), which gives the same bytes.
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# The current-state tables that only an admin's event changes (officer.*, identity.*,
# location.added: the ADMIN_TYPES of 0005 and the settings `db upgrade` and `init` write).
ADMIN_TABLES = ("officers", "officer_keys", "officer_logins", "settings", "locations")
ADMIN_TYPES = "ARRAY['officer.added','officer.updated','officer.key_added','officer.key_revoked'," \
              "'officer.login_mapped','location.added']"
# The transaction's own id, as the xmin of the rows it inserted shows it (txid_current() carries
# an epoch above the 32 bits of xmin).
OWN_XMIN = "(pg_catalog.txid_current() % 4294967296)::text"
SUPERUSER = "(SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user)"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    s = _quoted(bind.execute(sa.text("SELECT current_schema()")).scalar())
    sha256 = _sha256_function(bind)
    _identity_functions(s)
    _admin_tables(s)
    _chain(s, sha256)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS chain_head_names_last_event ON chain_head")
    op.execute("DROP TRIGGER IF EXISTS event_signatures_same_transaction ON event_signatures")
    op.execute("DROP TRIGGER IF EXISTS events_extend_chain ON events")
    op.execute("DROP TRIGGER IF EXISTS events_head_moved ON events")
    for table in ADMIN_TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_admins_only ON {table}")
    for fn in ("evidence_chain_head_names_last_event", "evidence_signatures_same_transaction",
               "evidence_events_extend_chain", "evidence_events_head_moved", "evidence_admins_only",
               "evidence_trusted_login"):
        op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    # the login trigger as 0005 made it (pgcrypto, if this migration created it, stays: other
    # objects may use it by now)
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION evidence_events_actor_is_login() RETURNS trigger LANGUAGE plpgsql AS $$
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


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sha256_function(bind) -> str:
    """The SQL function that returns SHA-256 of a bytea: pgcrypto's digest() when it is (or can
    be made) available, else the server's own sha256()."""
    def installed():
        return bind.execute(sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
            "WHERE e.extname = 'pgcrypto'")).scalar()

    schema = installed()
    available = bind.execute(sa.text("SELECT 1 FROM pg_available_extensions WHERE name = 'pgcrypto'")).scalar()
    if schema is None and available:
        savepoint = bind.begin_nested()
        try:
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pgcrypto"))
        except sa.exc.DBAPIError:  # not allowed to: the server's sha256() serves as well
            savepoint.rollback()
        else:
            savepoint.commit()
        schema = installed()
    if schema is not None:
        return f"{_quoted(schema)}.digest(%s, 'sha256')"
    if bind.dialect.server_version_info < (11,):
        raise RuntimeError("PostgreSQL 11 or later, or the pgcrypto extension, is needed to check the hash chain")
    return "pg_catalog.sha256(%s)"


def _identity_functions(s: str) -> None:
    # Who is exempt from the login rules: the owner of the tables (it runs `db upgrade`) and
    # superusers. Every name is schema-qualified: a login's own search_path (or a temporary
    # table it made) must not change which table a trigger reads.
    op.execute(
        f"""
        CREATE FUNCTION {s}.evidence_trusted_login() RETURNS boolean LANGUAGE sql STABLE AS $$
            SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles r WHERE r.rolname = session_user AND r.rolsuper)
                OR session_user = (SELECT pg_catalog.pg_get_userbyid(c.relowner) FROM pg_catalog.pg_class c
                                    WHERE c.oid = '{s}.events'::regclass)
        $$
        """
    )
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION {s}.evidence_events_actor_is_login() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            mapped text;
            mapped_role text;
        BEGIN
            SELECT l.badge, o.role INTO mapped, mapped_role
              FROM {s}.officer_logins l JOIN {s}.officers o ON o.badge = l.badge
             WHERE l.role_name = session_user;
            IF mapped IS NULL THEN
                IF EXISTS (SELECT 1 FROM {s}.officer_logins) AND NOT {s}.evidence_trusted_login() THEN
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


def _admin_tables(s: str) -> None:
    # A row of these tables changes only with the admin's event, in the same transaction: the
    # last event of the log must be this transaction's own, written as the login's badge, and
    # that badge an admin's (read before the change, so a login cannot promote itself). While
    # no login is mapped at all (a ledger not using per-officer logins, or before the admin maps
    # the first one) the database cannot tell logins apart and asks only for the event.
    op.execute(
        f"""
        CREATE FUNCTION {s}.evidence_admins_only() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            mapped text;
            mapped_role text;
            last_actor text;
            own boolean;
        BEGIN
            IF {s}.evidence_trusted_login() THEN
                RETURN COALESCE(NEW, OLD);
            END IF;
            SELECT l.badge, o.role INTO mapped, mapped_role
              FROM {s}.officer_logins l JOIN {s}.officers o ON o.badge = l.badge
             WHERE l.role_name = session_user;
            IF mapped IS NULL AND EXISTS (SELECT 1 FROM {s}.officer_logins) THEN
                RAISE EXCEPTION 'database login % is not mapped to a badge, so it may not change table %',
                    session_user, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END IF;
            IF mapped IS NOT NULL AND mapped_role IS DISTINCT FROM 'admin' THEN
                RAISE EXCEPTION 'database login % (badge %) is not an admin login, so it may not change table %',
                    session_user, mapped, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT e.actor, e.xmin::text = {OWN_XMIN} INTO last_actor, own
              FROM {s}.events e ORDER BY e.seq DESC LIMIT 1;
            IF own IS NOT TRUE OR (mapped IS NOT NULL AND last_actor IS DISTINCT FROM mapped) THEN
                RAISE EXCEPTION 'database login % may change table % only with an admin''s event in the same transaction',
                    session_user, TG_TABLE_NAME USING ERRCODE = 'insufficient_privilege';
            END IF;
            RETURN COALESCE(NEW, OLD);
        END
        $$
        """
    )
    for table in ADMIN_TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_admins_only BEFORE INSERT OR UPDATE OR DELETE ON {s}.{table} "
            f"FOR EACH ROW EXECUTE FUNCTION {s}.evidence_admins_only()"
        )


def _chain(s: str, sha256: str) -> None:
    # Each event row must extend the log as ledger.events.append_events writes it (docs/FORMAT.md):
    # seq one past the last event's, prev_hash that event's hash (64 zeros before the first) and
    # hash = hex SHA-256 of the ASCII prev_hash followed by the UTF-8 body. A multi-row INSERT or
    # a COPY is checked row by row: a BEFORE ROW trigger sees the rows its statement inserted
    # before. The refusals are integrity violations (SQLSTATE 23514), like a broken constraint.
    preimage = "pg_catalog.convert_to(NEW.prev_hash, 'UTF8') || pg_catalog.convert_to(NEW.body, 'UTF8')"
    op.execute(
        f"""
        CREATE FUNCTION {s}.evidence_events_extend_chain() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            last_seq bigint;
            last_hash text;
            problem text;
        BEGIN
            SELECT e.seq, e.hash INTO last_seq, last_hash FROM {s}.events e ORDER BY e.seq DESC LIMIT 1;
            IF last_seq IS NULL THEN
                last_seq := 0;
                last_hash := pg_catalog.repeat('0', 64);
            END IF;
            IF NEW.seq IS DISTINCT FROM last_seq + 1 THEN
                problem := pg_catalog.format('event %s does not extend the log, whose next event is %s',
                                             NEW.seq, last_seq + 1);
            ELSIF NEW.prev_hash IS DISTINCT FROM last_hash THEN
                problem := pg_catalog.format('event %s does not extend the log: its prev_hash is not the hash of event %s',
                                             NEW.seq, last_seq);
            ELSIF NEW.hash IS DISTINCT FROM pg_catalog.encode({sha256 % preimage}, 'hex') THEN
                problem := pg_catalog.format('event %s does not extend the log: its hash is not the SHA-256 of its '
                                             'prev_hash and body', NEW.seq);
            ELSE
                RETURN NEW;
            END IF;
            IF {SUPERUSER} THEN
                RETURN NEW;  -- verify finds what a superuser stores
            END IF;
            RAISE EXCEPTION '%', problem USING ERRCODE = 'check_violation';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER events_extend_chain BEFORE INSERT ON {s}.events "
        f"FOR EACH ROW EXECUTE FUNCTION {s}.evidence_events_extend_chain()"
    )
    # A signature is part of the append that stores its event: a row for an event of another
    # transaction (a colleague's, already committed) is refused.
    op.execute(
        f"""
        CREATE FUNCTION {s}.evidence_signatures_same_transaction() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF EXISTS (SELECT 1 FROM {s}.events e WHERE e.seq = NEW.seq AND e.xmin::text = {OWN_XMIN})
               OR {SUPERUSER} THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'a signature of event % can only be stored with the event, in the transaction that '
                            'appends it', NEW.seq USING ERRCODE = 'check_violation';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER event_signatures_same_transaction BEFORE INSERT ON {s}.event_signatures "
        f"FOR EACH ROW EXECUTE FUNCTION {s}.evidence_signatures_same_transaction()"
    )
    # The head row names the last event: a login cannot move it elsewhere (every writer would
    # then refuse, exit 3) ...
    op.execute(
        f"""
        CREATE FUNCTION {s}.evidence_chain_head_names_last_event() RETURNS trigger LANGUAGE plpgsql AS $$
        DECLARE
            last_seq bigint;
            last_hash text;
        BEGIN
            SELECT e.seq, e.hash INTO last_seq, last_hash FROM {s}.events e ORDER BY e.seq DESC LIMIT 1;
            IF (NEW.seq, NEW.hash) IS NOT DISTINCT FROM (COALESCE(last_seq, 0), COALESCE(last_hash, pg_catalog.repeat('0', 64)))
               OR {SUPERUSER} THEN
                RETURN NEW;
            END IF;
            RAISE EXCEPTION 'the chain head can only name the last event of the log (seq %)', COALESCE(last_seq, 0)
                USING ERRCODE = 'check_violation';
        END
        $$
        """
    )
    op.execute(
        f"CREATE TRIGGER chain_head_names_last_event BEFORE INSERT OR UPDATE ON {s}.chain_head "
        f"FOR EACH ROW EXECUTE FUNCTION {s}.evidence_chain_head_names_last_event()"
    )
    # ... and a transaction that appended events has moved the head to its last one by its
    # commit (checked then, once per event: the head is moved after the events are inserted).
    op.execute(
        f"""
        CREATE FUNCTION {s}.evidence_events_head_moved() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF (SELECT h.seq FROM {s}.chain_head h WHERE h.id = 1) >= NEW.seq
               OR {SUPERUSER} THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION 'event % was appended without moving the chain head to it', NEW.seq
                USING ERRCODE = 'check_violation';
        END
        $$
        """
    )
    op.execute(
        f"CREATE CONSTRAINT TRIGGER events_head_moved AFTER INSERT ON {s}.events DEFERRABLE INITIALLY DEFERRED "
        f"FOR EACH ROW EXECUTE FUNCTION {s}.evidence_events_head_moved()"
    )
