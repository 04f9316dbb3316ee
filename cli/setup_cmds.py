"""Set-up commands: the database schema, officers and locations."""

from __future__ import annotations

import click

from ledger.i18n import _, ngettext, number

from .app import by_option, pass_state
from .output import FLEX, Col, emit, labelled, table

ROLE_CHOICE = click.Choice(["officer", "custodian", "auditor", "prosecutor", "admin"])


@click.group("db")
def db_group():
    """Create, upgrade and inspect the ledger's database schema."""


@db_group.command("upgrade")
@pass_state
def db_upgrade(state):
    """Create the schema or bring it to the latest migration.

    Example:

    \b
        evidence --db postgresql+psycopg://evidence@dbhost/ledger db upgrade
    """
    from ledger.config import create_private_file, sqlite_path
    from ledger.db import Ledger
    from ledger.db import upgrade_schema as upgrade
    from ledger.events import record_format_upgrade, record_origin_binding, record_signatures_required

    ledger = Ledger(state.url, tz=state.tz)
    state._ledger = ledger
    if sqlite_path(state.url) is not None:
        create_private_file(sqlite_path(state.url))  # 0600, before SQLite makes it with the umask's mode
    before = ledger.current_revision()
    upgrade(ledger.engine)
    after = ledger.current_revision()
    moved = ledger.write(record_format_upgrade)
    signed = ledger.write(record_signatures_required)
    bound = ledger.write(record_origin_binding)
    lines = [_("schema at revision {after} (was empty)").format(after=after) if before is None else
             _("schema at revision {after} (was {before})").format(after=after, before=before)]
    if moved:
        lines.append(_("log moved to format 2 at event {seq}; the format 1 head {head} still proves its prefix "
                       "with 'evidence verify --expect-head'").format(seq=moved["seq"], head=moved["format_1_head"]))
    if signed:
        lines.append(_("every event from seq {seq} on is signed by its officer's key; start with 'evidence init "
                       "--admin BADGE --name NAME', then enrol each officer's key").format(
            seq=signed["signatures_from"]))
    if bound:
        lines.append(_("every signature from seq {seq} on names this ledger ({origin}), so none made in another "
                       "ledger verifies here; the signatures before it keep verifying as they were made").format(
            seq=bound["from"], origin=bound["origin"]))
    emit(state, {"url": _shown(state.url), "from": before, "to": after, "format_upgrade": moved,
                 "signatures_required": signed, "signatures_name_origin": bound}, lines)


@click.command("init")
@click.option("--admin", "admin", required=True, metavar="BADGE", help="Badge of the ledger's first admin.")
@click.option("--name", required=True, help="The admin's full name.")
@click.option("--unit", help="The admin's unit or office.")
@click.option("--out", metavar="KEYFILE", help="Where to write the admin's new key [default "
              "~/.config/evidence/keys/BADGE.key].")
@pass_state
def init_command(state, admin, name, unit, out):
    """Start a new ledger with its first admin, and make the admin's key.

    The admin's Ed25519 key is written to its own passphrase-encrypted file (asked twice, or
    EVIDENCE_KEY_PASSPHRASE) and signs this first event; from then on every event is signed
    by the officer who acted, and the admin registers officers and enrols their keys.

    Example:

    \b
        evidence init --admin ADM-01 --name "Rosa Medina Paredes" --unit "Oficina de Custodia"
    """
    from ledger import registry
    from ledger.identity import keys
    from ledger.validate import check_badge

    from .passphrases import new_passphrase

    badge = keys.check_key_name(check_badge(admin, "--admin"), "--admin")
    path = keys.check_new_key_path(out) if out else keys.check_new_key_path(keys.default_key_path(badge),
                                                                             make_parents=True)
    lg = state.ledger(create_if_new=True)
    if lg.exists():
        with lg.read() as session:
            registry.check_can_init(session)
    passphrase = new_passphrase(badge)
    key = keys.generate_key_file(path, badge, passphrase, make_parents=not out)
    state.keyring.files[badge] = key.path
    state.keyring.opened(badge, key)  # signs the first event without asking the passphrase a third time
    try:
        result = lg.write(registry.init_ledger, badge, name=name, unit=unit, public_key=key.public_key)
    except BaseException:
        key.path.unlink(missing_ok=True)  # the ledger refused: no key is left that nothing enrolled
        raise
    result["key_file"] = str(key.path)
    result["public_key_file"] = str(keys.write_public_key_file(key))
    emit(state, result, [f"{badge}",
                         _("admin {badge} ({name}); key {key_id} in {path}").format(
                             badge=badge, name=name, key_id=result["key_id"], path=key.path),
                         _("every event from seq {seq} on is signed by the officer who acted").format(
                             seq=result["signatures_from"])])


@db_group.command("rebuild")
@click.option("--check", is_flag=True, help="Compare the tables with the log and report; write nothing.")
@pass_state
def db_rebuild(state, check):
    """Rebuild every current-state table from the log, through the rulebook.

    The whole log is verified first; a log that breaks a rule or its chain is refused (exit 3,
    naming the first bad seq) and nothing is written. With --check the tables are compared
    with the log and every difference is listed (exit 3 when any).

    Example:

    \b
        evidence db rebuild --check
        evidence db rebuild
    """
    from ledger.errors import VerificationFailed
    from ledger.rebuild import rebuild_tables

    state.ledger().require_existing()
    if check:
        with state.ledger().read() as session:
            done = rebuild_tables(session, check=True)
    else:
        done = state.ledger().write(rebuild_tables)
    rows = sum(done.rows.values())
    if done.findings:
        emit(state, done.as_dict(), [f.render() for f in done.findings])
        raise VerificationFailed(
            ngettext("db rebuild --check: {n} difference between the tables and the log.",
                     "db rebuild --check: {n} differences between the tables and the log.",
                     len(done.findings)).format(n=number(len(done.findings))),
            hint=_("Run 'evidence db rebuild' to write the tables again from the log."))
    text = (_("db rebuild --check: the tables are the log ({rows} rows from {events} events, head {head}).")
            if check else _("db rebuild: {rows} rows written from {events} events (head {head})."))
    emit(state, done.as_dict(), [text.format(rows=number(rows), events=number(done.events), head=done.head)])


@db_group.command("status")
@pass_state
def db_status(state):
    """Show the backend, the URL (password hidden), and the current and latest revision.

    Example:

    \b
        evidence db status
    """
    from ledger.db import SCHEMA_REVISION, Ledger
    from ledger.migrate import known_revisions

    ledger = Ledger(state.url, tz=state.tz)
    state._ledger = ledger
    ledger.require_existing()
    current = ledger.current_revision()
    data = {"backend": ledger.engine.dialect.name, "url": _shown(state.url), "current": current,
            "latest": SCHEMA_REVISION, "up_to_date": current == SCHEMA_REVISION}
    if data["up_to_date"]:
        advice = ""
    elif current is not None and current not in known_revisions():
        advice = "  " + _("-> made by a newer evidence: upgrade this program")
    else:
        advice = "  " + _("-> run 'evidence db upgrade'")
    emit(state, data, labelled([
        (_("backend:"), data["backend"]),
        (_("url:"), data["url"]),
        (_("current:"), current or _("(no schema)")),
        (_("latest:"), f"{SCHEMA_REVISION}{advice}"),
    ]))


def _shown(url: str) -> str:
    from ledger.config import hide_password

    return hide_password(url)


@click.group("officer")
def officer_group():
    """Register and list officers (badges and roles)."""


@officer_group.command("add")
@click.argument("badge")
@click.option("--name", required=True, help="Full name as on the badge.")
@click.option("--role", required=True, type=ROLE_CHOICE, help="What the officer may do in the ledger.")
@click.option("--unit", help="Unit or office, e.g. 'DIVINCRI Arequipa'.")
@click.option("--public-key", metavar="PUBKEY", help="Enrol the officer's public key in the same event (as "
              "'evidence key generate --badge BADGE' printed it).")
@by_option
@pass_state
def officer_add(state, badge, name, role, unit, public_key, by):
    """Register an officer, on an admin's authority (--by ADMIN, signed with the admin's key).

    Example:

    \b
        evidence officer add B-1001 --name "Ana Quispe" --role officer --unit "DIVINCRI Arequipa" \\
            --public-key MCowBQYDK2VwAyEA... --by ADM-01
    """
    from ledger import registry

    result = state.ledger().write(registry.add_officer, badge, name=name, role=role, unit=unit, by=by,
                                  public_key=public_key)
    emit(state, result)


@officer_group.command("update")
@click.argument("badge")
@click.option("--name", help="The corrected full name.")
@click.option("--unit", help="The corrected unit or office.")
@click.option("--role", type=ROLE_CHOICE, help="A new role.")
@by_option
@pass_state
def officer_update(state, badge, name, unit, role, by):
    """Correct an officer's name or unit, or change their role (an admin's event; the earlier
    form stays in the log).

    Example:

    \b
        evidence officer update B-1001 --unit "DEPINCRI Arequipa" --by ADM-01
    """
    from ledger import registry

    if name is None and unit is None and role is None:
        from ledger.errors import InputError

        raise InputError(_("Say what to change: --name, --unit or --role."))
    emit(state, state.ledger().write(registry.update_officer, badge, by=by, name=name, unit=unit, role=role))


@officer_group.command("role")
@click.argument("badge")
@click.argument("role", type=ROLE_CHOICE)
@by_option
@pass_state
def officer_role(state, badge, role, by):
    """Change an officer's role (an admin's event).

    Example:

    \b
        evidence officer role C-3001 custodian --by ADM-01
    """
    from ledger import registry

    emit(state, state.ledger().write(registry.update_officer, badge, by=by, role=role))


@officer_group.group("key")
def officer_key_group():
    """Enrol and revoke officers' public keys (an admin's events)."""


@officer_key_group.command("add")
@click.argument("badge")
@click.argument("pubkey")
@by_option
@pass_state
def officer_key_add(state, badge, pubkey, by):
    """Enrol a public key for an officer: a new officer's, or a new key when one is rotated
    (revoke the old one afterwards).

    Example:

    \b
        evidence officer key add B-1001 MCowBQYDK2VwAyEA... --by ADM-01
    """
    from ledger import registry

    result = state.ledger().write(registry.add_officer_key, badge, pubkey, by=by)
    emit(state, result, [result["key_id"]])


@officer_key_group.command("revoke")
@click.argument("badge")
@click.argument("keyid")
@click.option("--reason", required=True, help="Why the key may sign nothing more (lost, passphrase known...).")
@by_option
@pass_state
def officer_key_revoke(state, badge, keyid, reason, by):
    """Revoke an officer's key from this event on; what it signed before stays valid.

    Example:

    \b
        evidence officer key revoke B-1001 3f9a0c21d4e5b6a7 --reason "laptop lost" --by ADM-01
    """
    from ledger import registry

    result = state.ledger().write(registry.revoke_officer_key, badge, keyid, reason=reason, by=by)
    emit(state, result, [_("key {key_id} of {badge} revoked at seq {seq}").format(
        key_id=result["key_id"], badge=result["badge"], seq=result["revoked_seq"])])


@officer_group.command("login")
@click.argument("badge")
@click.argument("role_name", metavar="ROLE")
@by_option
@pass_state
def officer_login(state, badge, role_name, by):
    """PostgreSQL: map a database login role to the badge it writes as (docs/postgresql.md).

    Example:

    \b
        evidence officer login B-1001 evidence_b1001 --by ADM-01
    """
    from ledger import registry

    result = state.ledger().write(registry.map_login, badge, role_name, by=by)
    emit(state, result, [_("login {role_name} writes as {badge}").format(role_name=result["role_name"],
                                                                         badge=result["badge"])])


@officer_group.command("list")
@click.option("--keys", is_flag=True, help="List the officers' enrolled keys instead.")
@pass_state
def officer_list(state, keys):
    """List registered officers, or with --keys their keys.

    Example:

    \b
        evidence officer list
    """
    from ledger import registry

    with state.ledger().read() as session:
        rows = registry.list_keys(session) if keys else registry.list_officers(session)
    if keys:
        emit(state, rows, table(rows, [Col("badge", _("BADGE")), Col("key_id", _("KEY")),
                                       Col("added_seq", _("ADDED")), Col("revoked_seq", _("REVOKED")),
                                       Col("revoked_reason", _("REASON"), flex=FLEX)], wide=state.wide))
        return
    emit(state, rows, table(rows, [Col("badge", _("BADGE")), Col("role", _("ROLE")), Col("name", _("NAME"), flex=FLEX),
                                   Col("unit", _("UNIT"), flex=FLEX)], wide=state.wide))


@click.group("location")
def location_group():
    """Register and list places where evidence is kept."""


@location_group.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Name of the place.")
@click.option("--kind", default="other", show_default=True,
              type=click.Choice(["evidence-room", "vault", "vehicle-lot", "lab", "court", "other"]))
@by_option
@pass_state
def location_add(state, code, name, kind, by):
    """Register a location, on an admin's authority (--by ADMIN).

    Example:

    \b
        evidence location add ER-AQP --name "Evidence room, Arequipa" --kind evidence-room --by ADM-01
    """
    from ledger import registry

    emit(state, state.ledger().write(registry.add_location, code, name=name, kind=kind, by=by))


@location_group.command("list")
@pass_state
def location_list(state):
    """List registered locations.

    Example:

    \b
        evidence location list
    """
    from ledger import registry

    with state.ledger().read() as session:
        rows = registry.list_locations(session)
    emit(state, rows, table(rows, [Col("code", _("CODE")), Col("kind", _("KIND")), Col("name", _("NAME"), flex=FLEX)],
                            wide=state.wide))
