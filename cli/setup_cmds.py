"""Set-up commands: the database schema, officers and locations."""

from __future__ import annotations

import click

from .app import pass_state
from .output import FLEX, Col, emit, table


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
    from ledger.db import Ledger
    from ledger.events import record_format_upgrade
    from ledger.migrate import upgrade

    ledger = Ledger(state.url, tz=state.tz)
    state._ledger = ledger
    before = ledger.current_revision()
    upgrade(ledger.engine)
    after = ledger.current_revision()
    moved = ledger.write(record_format_upgrade)
    lines = [f"schema at revision {after}" + (" (was empty)" if before is None else f" (was {before})")]
    if moved:
        lines.append(f"log moved to format 2 at event {moved['seq']}; the format 1 head {moved['format_1_head']} "
                     "still proves its prefix with 'evidence verify --expect-head'")
    emit(state, {"url": _shown(state.url), "from": before, "to": after, "format_upgrade": moved}, lines)


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
        advice = "  -> made by a newer evidence: upgrade this program"
    else:
        advice = "  -> run 'evidence db upgrade'"
    emit(state, data, [
        f"backend:  {data['backend']}",
        f"url:      {data['url']}",
        f"current:  {current or '(no schema)'}",
        f"latest:   {SCHEMA_REVISION}" + advice,
    ])


def _shown(url: str) -> str:
    from ledger.config import hide_password

    return hide_password(url)


@click.group("officer")
def officer_group():
    """Register and list officers (badges and roles)."""


@officer_group.command("add")
@click.argument("badge")
@click.option("--name", required=True, help="Full name as on the badge.")
@click.option("--role", required=True, type=click.Choice(["officer", "custodian", "auditor", "prosecutor"]),
              help="What the officer may do in the ledger.")
@click.option("--unit", help="Unit or office, e.g. 'DIVINCRI Arequipa'.")
@pass_state
def officer_add(state, badge, name, role, unit):
    """Register an officer. Administrative set-up: needs no --by.

    Example:

    \b
        evidence officer add B-1001 --name "Ana Quispe" --role officer --unit "DIVINCRI Arequipa"
    """
    from ledger import registry

    result = state.ledger().write(registry.add_officer, badge, name=name, role=role, unit=unit)
    emit(state, result)


@officer_group.command("list")
@pass_state
def officer_list(state):
    """List registered officers.

    Example:

    \b
        evidence officer list
    """
    from ledger import registry

    with state.ledger().read() as session:
        rows = registry.list_officers(session)
    emit(state, rows, table(rows, [Col("badge", "BADGE"), Col("role", "ROLE"), Col("name", "NAME", flex=FLEX),
                                   Col("unit", "UNIT", flex=FLEX)], wide=state.wide))


@click.group("location")
def location_group():
    """Register and list places where evidence is kept."""


@location_group.command("add")
@click.argument("code")
@click.option("--name", required=True, help="Name of the place.")
@click.option("--kind", default="other", show_default=True,
              type=click.Choice(["evidence-room", "vault", "vehicle-lot", "lab", "court", "other"]))
@pass_state
def location_add(state, code, name, kind):
    """Register a location. Administrative set-up: needs no --by.

    Example:

    \b
        evidence location add ER-AQP --name "Evidence room, Arequipa" --kind evidence-room
    """
    from ledger import registry

    emit(state, state.ledger().write(registry.add_location, code, name=name, kind=kind))


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
    emit(state, rows, table(rows, [Col("code", "CODE"), Col("kind", "KIND"), Col("name", "NAME", flex=FLEX)],
                            wide=state.wide))
