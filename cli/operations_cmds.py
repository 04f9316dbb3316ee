"""Evidence-room operations: Peru's deposit of seized cash and temporary use of items, audits,
what is due, review dates of items and court orders on cases."""

from __future__ import annotations

import click

from ledger.i18n import _, ngettext, number

from .app import by_option, pass_state
from .case_cmds import case_group, items_count
from .custody_cmds import _replayed, custody_group, order_option, request_id_option
from .item_cmds import item_group
from .output import emit


@custody_group.command("deposit")
@click.argument("items", nargs=-1, required=True, metavar="CASH_ITEM...")
@click.option("--bank", required=True, metavar="TEXT", help="The bank the cash was paid into.")
@click.option("--account", required=True, metavar="TEXT", help="The account it was paid into.")
@click.option("--voucher", required=True, metavar="NUMBER", help="The number of the bank's deposit voucher.")
@click.option("--at", metavar="TIME", help="When it was deposited (default now).")
@order_option
@request_id_option
@by_option
@pass_state
def custody_deposit(state, items, bank, account, voucher, at, order, request_id, by):
    """Deposit seized cash in a bank account: the cash leaves its holder, the voucher is the evidence.

    The holder or a custodian records it; one deposit takes the cash of one holder and one
    case. Prints the sequence number of the deposit event.

    Example:

    \b
        evidence custody deposit EV-000001 EV-000002 --bank "Banco de la Nación" --account 00-068-123456 --voucher 0457812 --at 2020-10-07T11:00 --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.deposit_cash, list(items), bank=bank, account=account, voucher=voucher,
                                by=by, at=at, order=order, request_id=request_id, tz=state.tz)
    emit(state, done, _("{seq}: {items} deposited in {bank} {account}, voucher {voucher}").format(
        seq=done["seq"], items=", ".join(done["items"]), bank=done["bank"], account=done["account"],
        voucher=done["voucher"]) + _replayed(done))


@custody_group.command("assign")
@click.argument("item")
@click.option("--to-entity", "entity", required=True, metavar="TEXT", help="The public entity that uses the item.")
@click.option("--order", metavar="TEXT", help="The court order or resolution that grants the use (required).")
@click.option("--until", metavar="DATE", help="The last day of the temporary use, YYYY-MM-DD (required).")
@click.option("--at", metavar="TIME", help="When it was handed over (default now).")
@request_id_option
@by_option
@pass_state
def custody_assign(state, item, entity, order, until, at, request_id, by):
    """Assign an item in temporary use to a public entity, on a court order, until a date.

    The holder stays answerable for it; a custodian or prosecutor records it, and
    'custody return' ends it. Prints the sequence number of the event.

    Example:

    \b
        evidence custody assign EV-000005 --to-entity "Municipalidad de Arequipa" --order "Resolución 88-2021" --until 2021-12-31 --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.assign_item, item, entity=entity, order=order, until=until, by=by, at=at,
                                request_id=request_id, tz=state.tz)
    emit(state, done, _("{seq}: {item} assigned to {entity} until {until} ({order})").format(
        seq=done["seq"], item=done["item"], entity=done["entity"], until=done["until"], order=done["order"])
        + _replayed(done))


@custody_group.command("return")
@click.argument("item")
@click.option("--at", metavar="TIME", help="When it came back (default now).")
@order_option
@request_id_option
@by_option
@pass_state
def custody_return(state, item, at, order, request_id, by):
    """Record that an item assigned in temporary use came back.

    The holder or a custodian records it. Prints the sequence number of the event.

    Example:

    \b
        evidence custody return EV-000005 --at 2021-12-30T10:00 --by C-3001
    """
    from ledger import custody

    done = state.ledger().write(custody.return_item, item, by=by, at=at, order=order, request_id=request_id,
                                tz=state.tz)
    emit(state, done, _("{seq}: {item} back from {entity}").format(seq=done["seq"], item=done["item"],
                                                                     entity=done["entity"]) + _replayed(done))


@click.group("audit")
def audit_group():
    """Inventory audits of a location: a full count or a sample anyone can re-draw from the log."""


@audit_group.command("start")
@click.argument("location")
@click.option("--sample", metavar="N", help="Draw N items at random (seeded by the log) instead of counting all.")
@click.option("--confidence", metavar="PCT", help="With --tolerance: the sample size follows from both.")
@click.option("--tolerance", metavar="PCT", help="Share of items out of place the sample must detect.")
@by_option
@pass_state
def audit_start(state, location, sample, confidence, tolerance, by):
    """Open an audit of a location; prints its number and the items drawn.

    Without --sample or --confidence every item the log puts at the location is expected. A
    sample is drawn with the log's root just after the start event as its seed, so nobody
    knows it in advance and 'verify' draws it again. Only an auditor starts an audit.

    Example:

    \b
        evidence audit start ER-AQP --confidence 95 --tolerance 5 --by A-4001
    """
    from ledger.operations import audits

    done = state.ledger().write(audits.start_audit, location, by=by, sample=sample, confidence=confidence,
                                tolerance=tolerance)
    lines = [ngettext("{id}: {location}, {size} of {n} item to check (seed {seed}...)",
                      "{id}: {location}, {size} of {n} items to check (seed {seed}...)", done["population"]).format(
        id=done["id"], location=done["location"], size=done["sample_size"], n=number(done["population"]),
        seed=done["seed"][:16])]
    lines += [f"  {item}" for item in done["sample"]]
    emit(state, done, lines)


@audit_group.command("check")
@click.argument("audit")
@click.argument("item")
@click.option("--found", is_flag=True, help="The item is there.")
@click.option("--missing", is_flag=True, help="The item is not there.")
@click.option("--seal", help="The seal on the item as found.")
@click.option("--location", metavar="CODE", help="Where it was found, if not where the record puts it.")
@click.option("--unexpected", is_flag=True, help="Found at the location, though not in the audit's sample.")
@click.option("--note", metavar="TEXT", help="What the auditor wants on record about it.")
@by_option
@pass_state
def audit_check(state, audit, item, found, missing, seal, location, unexpected, note, by):
    """Record the check of one item (a scanned label's payload names it too).

    Example:

    \b
        evidence audit check AU-000001 EV-000003 --found --seal S-0003 --by A-4001
    """
    from ledger.operations import audits

    done = state.ledger().write(audits.check_item, audit, item, by=by, found=found, missing=missing, seal=seal,
                                location=location, unexpected=unexpected, note=note)
    emit(state, done, f"{done['seq']}: {done['audit']} {done['item']} {done['result']}"
                      + (" " + _("(unexpected)") if done["unexpected"] else ""))


def _audit_lines(state, report: dict) -> list[str]:
    from ledger.validate import local_iso

    from .output import FLEX, Col, table

    a = report["audit"]
    method = (_("sample of {n}").format(n=a["requested"]) if a["requested"] is not None else
              _("{confidence}% confidence, {tolerance}% tolerance (hypergeometric)").format(
                  confidence=a["confidence"], tolerance=a["tolerance"])
              if a["confidence"] is not None else _("full count"))
    closed = (_("closed {at} by {badge} (event {seq})").format(
                  at=local_iso(a["closed_at"], state.tz), badge=a["closed_by"], seq=a["closed_seq"])
              if a["closed_seq"] else _("open"))
    lines = [_("{id}: {location}, started {at} by {badge} (event {seq}); {closed}").format(
                 id=a["id"], location=a["location"], at=local_iso(a["started_at"], state.tz), badge=a["started_by"],
                 seq=a["started_seq"], closed=closed),
             ngettext("method: {method}; {size} of {n} item drawn; seed {seed}",
                      "method: {method}; {size} of {n} items drawn; seed {seed}", a["population"]).format(
                 method=method, size=a["sample_size"], n=number(a["population"]), seed=a["seed"])]
    lines += table(report["lines"], [Col("item", _("ITEM")), Col("kind", _("KIND"), drop=1),
                                     Col("result", _("RESULT")), Col("seal", _("SEAL")),
                                     Col("record_seal", _("RECORD SEAL"), drop=3), Col("location", _("FOUND AT")),
                                     Col("record_location", _("RECORD LOCATION"), drop=4),
                                     Col("checked_by", _("BY"), drop=2), Col("note", _("NOTE"), flex=FLEX)],
                   wide=state.wide)
    if report["final"]:
        lines.append(_("findings:") if report["findings"] else _("findings: none"))
    else:
        lines.append(_("findings so far:") if report["findings"] else _("findings so far: none"))
    lines += [f"  {f['item']}  {f['kind']}: {f['detail']}" for f in report["findings"]]
    return lines


@audit_group.command("close")
@click.argument("audit")
@by_option
@pass_state
def audit_close(state, audit, by):
    """Close an audit and record its findings: missing, seal mismatch, wrong location, unexpected, not checked.

    Example:

    \b
        evidence audit close AU-000001 --by A-4001
    """
    from ledger.operations import audits

    done = state.ledger().write(audits.close_audit, audit, by=by)
    emit(state, done, _audit_lines(state, done))


@audit_group.command("show")
@click.argument("audit")
@pass_state
def audit_show(state, audit):
    """An audit, each item drawn or found with its check, and its findings.

    Example:

    \b
        evidence audit show AU-000001
    """
    from dataclasses import asdict

    from ledger.operations import audits

    with state.ledger().read() as session:
        report = asdict(audits.show_audit(session, audit))
    emit(state, report, _audit_lines(state, report))


@click.command("due")
@click.option("--within", metavar="DAYS", help="Also list what falls due in the next DAYS days (default 0).")
@click.option("--case", "case_no", metavar="CASE_NO", help="Only this case's items.")
@click.option("--location", metavar="CODE", help="Only items kept at this location.")
@click.option("--rule", "rules", multiple=True, metavar="RULE",
              help="Only this rule (repeatable): cash-undeposited, assignment-ended, review-passed, "
                   "held-after-final-order [env EVIDENCE_DUE_RULES, comma-separated; default all].")
@click.option("--cash-hours", "cash_hours", metavar="HOURS",
              help="Hours within which seized cash must be deposited [env EVIDENCE_DUE_CASH_HOURS; default 48].")
@click.option("--review-days", "review_days", metavar="DAYS",
              help="Days an item may go past its review date before it is listed [env EVIDENCE_DUE_REVIEW_DAYS; "
                   "default 0].")
@click.option("--order-days", "order_days", metavar="DAYS",
              help="Days after a case's final order within which its items must be disposed of "
                   "[env EVIDENCE_DUE_ORDER_DAYS; default 30].")
@click.option("--at", metavar="TIME", help="The moment to look from (default now).")
@pass_state
def due_command(state, within, case_no, location, rules, cash_hours, review_days, order_days, at):
    """What needs action: each entry with the rule that put it there; the rules are stated.

    Four rules, each with its threshold: cash not deposited within the configured hours of its
    seizure (cash-undeposited); items in temporary use past the last day of their assignment
    (assignment-ended); items whose review date has passed (review-passed, see 'item review');
    items of a case still held some days after its final disposition order
    (held-after-final-order, see 'case order --final'). Disposed items are never due.

    Example:

    \b
        evidence due --within 7 --case AQP-2020-0147
    """
    from ledger.operations import due
    from ledger.validate import local_iso

    from .output import FLEX, Col, table

    with state.ledger().read() as session:
        report = due.due_report(session, within=within, case_no=case_no, location=location, rules=rules,
                                cash_hours=cash_hours, review_days=review_days, order_days=order_days, at=at,
                                tz=state.tz)
    rows = [{**e, "due_at": local_iso(e["due_at"], state.tz), "state": _("overdue") if e["overdue"] else _("due soon")}
            for e in report["entries"]]
    at = local_iso(report["at"], state.tz)
    within = report["within_days"]
    lines = [ngettext("due at {at} and within {n} day:", "due at {at} and within {n} days:", within).format(
        at=at, n=number(within)) if within else _("due at {at}:").format(at=at)]
    import textwrap

    for r in report["rules"]:  # wrapped to the table width, unless --wide
        said = _("rule {rule}: {text} [threshold {threshold}; set by {setting}]").format(
            rule=r["rule"], text=r["text"], threshold=r["threshold"], setting=r["setting"])
        lines += [f"  {said}"] if state.wide else textwrap.wrap(said, 100, initial_indent="  ",
                                                                subsequent_indent="    ")
    lines += table(rows, [Col("rule", _("RULE")), Col("item", _("ITEM")), Col("case_no", _("CASE"), drop=1),
                          Col("location", _("LOCATION"), drop=2), Col("holder", _("HOLDER")), Col("due_at", _("DUE")),
                          Col("state", _("STATE")), Col("detail", _("DETAIL"), flex=FLEX)], wide=state.wide)
    emit(state, report, lines)


@item_group.command("review")
@click.argument("items", nargs=-1, required=True, metavar="ITEM...")
@click.option("--on", "on", metavar="DATE", help="The review date, YYYY-MM-DD (sets it, or moves it).")
@click.option("--clear", is_flag=True, help="The review is done and no new date is set.")
@click.option("--reason", metavar="TEXT", help="Why the review is due, or what it decided.")
@click.option("--at", metavar="TIME", help="When the date was set (default now).")
@by_option
@pass_state
def item_review(state, items, on, clear, reason, at, by):
    """Set, move or clear the date by which items' custody must be reviewed.

    A custodian or a prosecutor records it; 'evidence due' lists items whose review date has
    passed (rule review-passed) until a new date is set or the review is cleared. Prints the
    sequence number of the event.

    Example:

    \b
        evidence item review EV-000005 EV-000006 --on 2021-04-06 --reason "Revisión semestral de vehículos" --by F-2001
    """
    from ledger.operations import reviews

    done = state.ledger().write(reviews.set_review, list(items), on=on, clear=clear, reason=reason, by=by, at=at,
                                tz=state.tz)
    said = _("{seq}: {items} review on {date}") if done["review_on"] else _("{seq}: {items} review cleared")
    emit(state, done, said.format(seq=done["seq"], items=", ".join(done["items"]), date=done["review_on"]))


@case_group.command("order")
@click.argument("case_no")
@click.option("--order", metavar="TEXT", help="The court order or resolution (required).")
@click.option("--final", is_flag=True, help="It is the case's final disposition order.")
@click.option("--note", metavar="TEXT", help="What the order decides about the evidence.")
@click.option("--at", metavar="TIME", help="When the order was given (default now).")
@by_option
@pass_state
def case_order(state, case_no, order, final, note, at, by):
    """Record a court order on a case; --final marks its final disposition order.

    A custodian or a prosecutor records it. Once a case has a final order, 'evidence due'
    lists its items not yet disposed of some days after it (rule held-after-final-order);
    the most recently recorded final order counts. Prints the sequence number of the event.

    Example:

    \b
        evidence case order AQP-2020-0147 --order "Sentencia 4-2022, 1er Juzgado Penal de Arequipa" --final --at 2022-03-01T10:00 --by F-2001
    """
    from ledger.operations import orders

    done = state.ledger().write(orders.record_order, case_no, order=order, final=final, note=note, by=by, at=at,
                                tz=state.tz)
    said = _("{seq}: {case_no} final order {order}") if done["final"] else _("{seq}: {case_no} order {order}")
    emit(state, done, said.format(seq=done["seq"], case_no=done["case_no"], order=done["order"]))


@click.command("journal")
@click.option("--case", "case_no", metavar="CASE_NO", help="Only this case's cash.")
@click.option("--out", required=True, metavar="FILE.journal", help="The journal file to write.")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_state
def export_journal(state, case_no, out, force):
    """Every cash movement as an hledger journal, with the rates as P directives.

    Accounts per holder (holders:BADGE), per bank account (deposits:BANK:ACCOUNT) and per case
    (seized:CASE, disposed:CASE:ACTION); 'hledger -f FILE balance' gives what each holds.

    Example:

    \b
        evidence export journal --case AQP-2020-0147 --out AQP-2020-0147.journal
    """
    from ledger.operations import journal

    with state.ledger().read() as session:
        done = journal.export_journal(session, out, case_no=case_no, force=force, database=state.url, tz=state.tz)
    transactions = ngettext("{n} transaction", "{n} transactions", done["transactions"]).format(
        n=number(done["transactions"]))
    prices = ngettext("{n} price", "{n} prices", done["prices"]).format(n=number(done["prices"]))
    emit(state, done, f"{done['path']}: {transactions}, {prices}")


@click.command("audit")
@click.argument("audit")
@click.option("--out", required=True, metavar="FILE.xlsx", help="The workbook to write.")
@click.option("--lang", type=click.Choice(["en", "es"]), default="es", show_default=True,
              help="Language of the workbook.")
@click.option("--force", is_flag=True, help="Replace FILE if it exists.")
@pass_state
def export_audit(state, audit, out, lang, force):
    """An audit as a workbook: the audit, its findings, and every item drawn or found with its check.

    Example:

    \b
        evidence export audit AU-000001 --out AU-000001.xlsx --lang es
    """
    from dataclasses import asdict

    from ledger.operations import audits
    from ledger.xlsx.writer import check_output_path, write_audit_workbook

    check_output_path(out, force=force, database=state.url)
    with state.ledger().read() as session:
        report = asdict(audits.audit_export(session, audit))
    done = write_audit_workbook(report, out, lang=lang, tz=state.tz, force=force, database=state.url)
    emit(state, {"path": done.path, "sha256": done.sha256, "bytes": done.bytes, **done.rows},
         f"{done.path}: {items_count(done.rows['items'])}, "
         + ngettext("{n} finding", "{n} findings", done.rows["findings"]).format(n=number(done.rows["findings"])))
