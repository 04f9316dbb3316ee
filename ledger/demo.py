"""`evidence demo`: the Arequipa 2020 case told end to end through the ledger's own functions.

It registers the people, the raids and what they seized, moves custody as the case did,
lets the auditor verify and the prosecutor export. It runs only in a ledger of its own
and yields its narration line by line, so the command line decides how to show it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select

from ledger import demo_data as D
from ledger.db import SCHEMA_REVISION, Ledger
from ledger.errors import RuleError
from ledger.i18n import _, ngettext, number
from ledger.models import Event

DEFAULT_DB = "evidence-demo.db"
DEFAULT_OUT = "evidence-demo.xlsx"


def demo_keys(lg: Ledger, workbook_folder: Path) -> Path:
    """The folder of the demo people's throwaway keys: `evidence-demo-keys/` beside the ledger
    file, where every command looks for them (beside the workbook for a server database)."""
    from ledger.config import sqlite_path
    from ledger.identity.signing import DEMO_KEYS_DIR, Keyring

    path = sqlite_path(lg.url)
    folder = (path.parent if path is not None else workbook_folder).absolute() / DEMO_KEYS_DIR
    lg.keyring = Keyring(demo_dir=folder, passphrase=lambda _badge, _path: D.KEY_PASSPHRASE)
    return folder


def _demo_key(folder: Path, badge: str):
    """A demo person's key: made on the first run, opened again on a later one."""
    from ledger.identity import keys

    path = folder / f"{badge}.key"
    if path.exists():
        return keys.load_key_file(path, D.KEY_PASSPHRASE)
    # Their passphrase is published ("demo"), so scrypt's cost would protect nothing here.
    return keys.generate_key_file(path, badge, D.KEY_PASSPHRASE, make_parents=True,
                                  kdf=keys.KdfParams(keys.THROWAWAY_LOG2_N, keys.SCRYPT_R, keys.SCRYPT_P))


def prepare_demo_ledger(url: str, *, tz: str, named: str) -> Ledger:
    """A new, empty ledger at `url`, migrated. Refuses one that already holds events: the
    demo never writes into an existing ledger."""
    from ledger.db import upgrade_schema as upgrade

    lg = Ledger(url, tz=tz)
    current = lg.current_revision()
    if current is None and lg.is_empty():
        upgrade(lg.engine)
        return lg
    if current == SCHEMA_REVISION:
        with lg.read() as session:
            events = session.scalar(select(func.count()).select_from(Event))
        if events == 0:
            return lg
    else:
        events = None
    lg.dispose()
    raise RuleError(
        (_("{named} already holds a ledger ({events} events); the demo never writes into an existing ledger.")
         if events else _("{named} already holds a ledger; the demo never writes into an existing ledger.")).format(
            named=named, events=events),
        hint=_("Remove {named}, or run 'evidence --db NEW_EMPTY_DB demo'.").format(named=named),
    )


def run_demo(lg: Ledger, out: str | Path, *, lang: str = "es", force_out: bool = False) -> Iterator[str]:
    """Build the case and yield what happens, step by step. The last step writes `out`."""
    import base64

    from ledger import custody, items, money, rates, registry
    from ledger.reports import case_inventory
    from ledger.verify import verify_log
    from ledger.xlsx.writer import check_output_path, write_case_workbook

    tz = lg.tz
    out = Path(out).absolute()
    check_output_path(str(out), force=force_out)
    folder = demo_keys(lg, out.parent)

    yield _("== 1. The people, each with a key of their own ==")
    admin, admin_name, admin_unit = D.ADMIN
    key = _demo_key(folder, admin)
    lg.write(registry.init_ledger, admin, name=admin_name, unit=admin_unit, public_key=key.public_key)
    yield f"  {admin:<9} {'admin':<10} {admin_name}"
    for badge, name, role, unit in D.OFFICERS:
        pub = base64.b64encode(_demo_key(folder, badge).public_key).decode("ascii")
        lg.write(registry.add_officer, badge, name=name, role=role, unit=unit, by=admin, public_key=pub)
        yield f"  {badge:<9} {role:<10} {name}"
    yield _("  keys: {folder} (throwaway, passphrase '{passphrase}'); every event is signed by its officer").format(
        folder=folder, passphrase=D.KEY_PASSPHRASE)
    for code, name, kind in D.LOCATIONS:
        lg.write(registry.add_location, code, name=name, kind=kind, by=admin)
        yield f"  {code:<13} {kind:<13} {name}"

    yield ""
    yield _("== 2. The case ==")
    c = D.CASE
    lg.write(registry.open_case, c["case_no"], title=c["title"], prosecutor=c["prosecutor"], court=c["court"],
             by="DEMO-101", at=c["opened_at"], tz=tz)
    yield f"  {c['case_no']}: {c['title']}"
    yield _("  A ring bought newborns from mothers in poverty in Arequipa and sold them; on 6 October 2020")
    yield _("  the police raided three houses at dawn (names, places and numbers here are fictitious).")

    yield ""
    yield _("== 3. The raids of 6 October 2020 and what they seized ==")
    held: dict[str, list[tuple[str, str, dict]]] = {}  # seizing officer -> (item id, kind, fields)
    for s in D.SEIZURES:
        sz = lg.write(registry.record_seizure, c["case_no"], at=s["at"], place=s["place"], by=s["by"],
                      acta=s["acta"], from_persons=s["from_persons"], witnesses=s["witnesses"], tz=tz)
        yield f"  {sz['id']}  acta {s['acta']}  {s['at'].replace('T', ' ')}  {s['place']}"
        specs = [items.prepare_item(kind, fields) for kind, fields in s["items"]]
        done = lg.write(items.register_items, sz["id"], specs, by=s["by"], at=D.REGISTERED_AT, tz=tz)
        for reg, (kind, fields) in zip(done, s["items"], strict=True):
            held.setdefault(s["by"], []).append((reg.id, kind, fields))
            yield f"    {reg.id}  {kind:<8} {_describe(kind, fields, money)}"

    yield ""
    yield _("== 4. The exchange rate of the seizure date ==")
    r = D.RATE
    lg.write(rates.set_rate, r["date"], r["base"], r["quote"], r["rate"], source=r["source"], side=r["side"],
             by="DEMO-501")
    yield _("  {date}: 1 {base} = {rate} {quote} ({side}), source: {source}").format(
        date=r["date"], base=r["base"], rate=r["rate"], quote=r["quote"], side=r["side"], source=r["source"])
    yield _("  This is an example value for the demonstration, not an official figure.")
    amount, cur = D.PRICE_PER_BABY
    with lg.read() as session:
        conv = rates.convert(session, amount, cur, "USD", on=r["date"], side=r["side"], tz=tz)
    yield _("  The ring charged {amount} per baby: {converted} ({formula}, ROUND_HALF_UP)").format(
        amount=money.show_money(conv["amount_minor"], cur), converted=money.show_money(conv["converted_minor"], "USD"),
        formula=conv["formula"])

    yield ""
    yield _("== 5. Chain of custody ==")
    for officer, entries in held.items():
        moves = [
            ([i for i, k, _ in entries if k == "cash"], "DEMO-VAULT", "Ingreso del dinero incautado a bóveda"),
            ([i for i, k, _ in entries if k == "vehicle"], "DEMO-LOT", "Internamiento en depósito vehicular"),
            ([i for i, k, _ in entries if k in ("phone", "document")], "DEMO-ER", "Ingreso al almacén de evidencias"),
        ]
        for ids, location, reason in moves:
            if ids:
                lg.write(custody.transfer_items, ids, from_badge=officer, to_badge="DEMO-201", reason=reason,
                         by=officer, at="2020-10-06T11:00", location=location, tz=tz, receiver_signs=True)
                yield _("  2020-10-06 11:00  {officer} -> DEMO-201 at {location}: {items} (both signed)").format(
                    officer=officer, location=location, items=", ".join(ids))
    cash = [(i, f) for entries in held.values() for i, k, f in entries if k == "cash"]
    for n, (item_id, fields) in enumerate(cash, start=1):
        new_seal = f"DEMO-S-01{n:02d}"
        lg.write(custody.reseal_item, item_id, old_seal=fields["seal"], new_seal=new_seal,
                 reason="Recuento en bóveda y nuevo precinto", by="DEMO-201", at="2020-10-06T15:00", tz=tz)
        yield _("  2020-10-06 15:00  {item} recounted in the vault and resealed {old} -> {new}").format(
            item=item_id, old=fields["seal"], new=new_seal)
    phones = [i for entries in held.values() for i, k, _ in entries if k == "phone"]
    offer = lg.write(custody.transfer_items, phones, from_badge="DEMO-201", to_badge="DEMO-301",
                     reason="Pericia informática: extracción de datos", by="DEMO-201", at="2020-10-07T08:30",
                     location="DEMO-LAB", tz=tz)
    yield _("  2020-10-07 08:30  DEMO-201 offers to DEMO-301 (forensic lab): {items} (in transit)").format(
        items=", ".join(phones))
    lg.write(custody.accept_items, phones, by="DEMO-301", seal_ok=True, at="2020-10-07T09:00", tz=tz)
    yield _("  2020-10-07 09:00  DEMO-301 accepts offer {seq}, seals intact: {items}").format(
        seq=offer["seq"], items=", ".join(phones))
    lg.write(custody.transfer_items, phones, from_badge="DEMO-301", to_badge="DEMO-201",
             reason="Devolución tras la pericia", by="DEMO-301", at="2020-10-14T16:00", location="DEMO-ER", tz=tz,
             receiver_signs=True)
    yield _("  2020-10-14 16:00  DEMO-301 -> DEMO-201 (back in the evidence room): {items}").format(
        items=", ".join(phones))
    contracts = next(i for entries in held.values() for i, k, f in entries
                     if k == "document" and "Contratos" in f["title"])
    lg.write(custody.transfer_items, [contracts], from_badge="DEMO-201", to_badge="DEMO-501",
             reason="Para la formalización de la investigación preparatoria", by="DEMO-201",
             at="2020-10-20T10:00", location="DEMO-FISCALIA", tz=tz, receiver_signs=True)
    yield _("  2020-10-20 10:00  DEMO-201 -> DEMO-501 (prosecutor): {item}").format(item=contracts)

    yield from _evidence_room(lg, held, tz)

    yield ""
    yield _("== 7. The auditor verifies ==")
    with lg.read() as session:
        report = verify_log(session)
    if not report.ok:  # the demo is a client like any other: say so if the ledger disagrees
        n = len(report.findings)
        raise RuleError(ngettext("verify found {n} problem in the demo ledger.",
                                 "verify found {n} problems in the demo ledger.", n).format(n=number(n)),
                        details=[f.render() for f in report.findings])
    yield _("  verify: clean, {events} checked, {items} replayed").format(
        events=ngettext("{n} event", "{n} events", report.events).format(n=number(report.events)),
        items=ngettext("{n} item", "{n} items", report.items_checked).format(n=number(report.items_checked)))
    yield _("  head to keep: {head}").format(head=f"{report.head_seq}:{report.head_hash}")
    yield _("  (later: evidence verify --expect-head {head})").format(head=f"{report.head_seq}:{report.head_hash}")

    yield ""
    yield _("== 8. The prosecutor's figures and workbook ==")
    with lg.read() as session:
        totals = rates.case_totals(session, c["case_no"], in_currency="USD", side=r["side"], tz=tz)
        for pc in totals.per_currency:
            yield _("  cash {currency}: {amount} in {items}").format(
                currency=pc["currency"], amount=money.show_money(pc["minor"], pc["currency"]),
                items=ngettext("{n} item", "{n} items", pc["items"]).format(n=number(pc["items"])))
        yield _("  total in USD: {amount}").format(amount=money.show_money(totals.total_minor, "USD"))
        for used in totals.rates:
            yield _("  rate used: {rate}").format(rate=used.citation())
        inv = case_inventory(session, c["case_no"], in_currency="USD", side=r["side"], tz=tz, by="DEMO-501")
        written = write_case_workbook(inv, out, lang=lang, force=force_out)
    yield _("  workbook ({lang}): {path}").format(lang=lang, path=written.path)
    yield f"  sha256 {written.sha256}"


def _evidence_room(lg: Ledger, held: dict, tz: str) -> Iterator[str]:
    """Section 6: the soles deposited with a voucher, the vehicles' review date, an audit of the
    evidence room with a sample (re-drawn from an exported copy of the log) and two planted
    discrepancies, and what `due` then lists."""
    import tempfile

    from ledger import bundle, custody, items, money, rates
    from ledger.operations import audits, due, reviews
    from ledger.validate import local_iso

    case_no = D.CASE["case_no"]
    yield ""
    yield _("== 6. The evidence room: deposit, review dates, audit, what is due ==")
    d = D.DEPOSIT
    cash = [(i, f) for entries in held.values() for i, k, f in entries if k == "cash"]
    soles = [i for i, f in cash if f["currency"] == "PEN"]
    lg.write(custody.deposit_cash, soles, bank=d["bank"], account=d["account"], voucher=d["voucher"], by=d["by"],
             at=d["at"], tz=tz)
    yield _("  {at}  {by} deposits the soles ({items}) in {bank}, account {account}, voucher {voucher}").format(
        at=d["at"].replace("T", " "), by=d["by"], items=", ".join(soles), bank=d["bank"], account=d["account"],
        voucher=d["voucher"])
    yield _("  The dollars ({items}) stay in the vault.").format(
        items=", ".join(i for i, f in cash if f["currency"] != "PEN"))
    with lg.read() as session:
        totals = rates.case_totals(session, case_no, in_currency="USD", side=D.RATE["side"], tz=tz)
    for pc in totals.per_currency:
        code = pc["currency"]
        yield _("  case totals {currency}: {deposited} deposited, {undeposited} not deposited").format(
            currency=code, deposited=money.show_money(pc["deposited_minor"], code),
            undeposited=money.show_money(pc["undeposited_minor"], code))

    r = D.REVIEW
    vehicles = [i for entries in held.values() for i, k, _ in entries if k == "vehicle"]
    lg.write(reviews.set_review, vehicles, on=r["on"], reason=r["reason"], by=r["by"], at=r["at"], tz=tz)
    yield _("  {at}  {by} sets the review date of the vehicles ({items}): {on}").format(
        at=r["at"].replace("T", " "), by=r["by"], items=", ".join(vehicles), on=r["on"])

    a = D.AUDIT
    started = lg.write(audits.start_audit, a["location"], by=a["by"], sample=a["sample"])
    sample = started["sample"]
    yield _("  audit {audit} of {location} by {by}: {drawn} of {population} item(s) drawn, seed {seed}...").format(
        audit=started["id"], location=a["location"], by=a["by"], drawn=started["sample_size"],
        population=started["population"], seed=started["seed"][:16])
    with lg.read() as session:
        seals = {i: items.show_item(session, i)["seal"] for i in sample}
    for n, item_id in enumerate(sample):
        if n == 0:  # planted: the bag on the shelf carries another seal than the record
            lg.write(audits.check_item, started["id"], item_id, by=a["by"], found=True, missing=False,
                     seal=a["planted_seal"], note="Precinto distinto en el estante (plantado para la demostración)")
            yield _("    {item}  found, sealed {seal} (planted: the record says {record})").format(
                item=item_id, seal=a["planted_seal"], record=seals[item_id])
        elif n == 1:  # planted: the bag is not on the shelf
            lg.write(audits.check_item, started["id"], item_id, by=a["by"], found=False, missing=True,
                     note="No está en el estante (plantado para la demostración)")
            yield _("    {item}  missing (planted)").format(item=item_id)
        else:
            lg.write(audits.check_item, started["id"], item_id, by=a["by"], found=True, missing=False,
                     seal=seals[item_id])
            yield _("    {item}  found, sealed {seal} as on record").format(item=item_id, seal=seals[item_id])
    lg.write(audits.close_audit, started["id"], by=a["by"])
    with lg.read() as session:
        found = audits.finding_texts(session, started["id"])  # the recorded findings, in the reader's words
    for f in found:
        yield _("    finding: {item} {kind}, {detail}").format(item=f["item"], kind=f["kind"], detail=f["detail"])
    with tempfile.TemporaryDirectory() as folder:
        with lg.read() as session:
            bundle.export_log(session, Path(folder) / "log")
        again = audits.redraw_from_bundle(Path(folder) / "log", started["id"])
    if (again["seed"], again["sample"]) != (started["seed"], sample):
        raise RuleError(_("the sample of {audit} re-drawn from an exported copy of the log differs: {again}, not "
                          "{sample}.").format(audit=started["id"], again=", ".join(again["sample"]),
                                              sample=", ".join(sample)))
    yield _("  Re-drawn from an exported copy of the log ({events} events): the same seed and the same {n} "
            "item(s).").format(events=again["events"], n=len(sample))

    with lg.read() as session:
        report = due.due_report(session, case_no=case_no, at=D.DUE_AT, tz=tz)
    yield f"  evidence due --case {case_no} --at {D.DUE_AT}:"
    for rule in report["rules"]:
        yield _("    rule {rule}: {threshold}").format(rule=rule["rule"], threshold=rule["threshold"])
    for e in report["entries"]:
        yield _("    {rule:<16}  {item}  due {at}  {detail}").format(rule=e["rule"], item=e["item"],
                                                                    at=local_iso(e["due_at"], tz), detail=e["detail"])


def _describe(kind: str, f: dict, money) -> str:
    if kind == "cash":
        amount = money.parse_amount(f["amount"], f["currency"])
        minor = money.to_minor(amount, f["currency"])
        return _("{amount} ({denominations}), seal {seal}").format(
            amount=money.show_money(minor, f["currency"]), denominations=f["denominations"], seal=f["seal"])
    if kind == "vehicle":
        return _("{make} {model} {year}, plate {plate}, declared {value}").format(
            make=f["make"], model=f["model"], year=f["year"], plate=f["plate"], value=f["value"])
    if kind == "phone":
        return _("{make} {model}, IMEI {imei}, seal {seal}").format(make=f["make"], model=f["model"], imei=f["imei"],
                                                                     seal=f["seal"])
    return _("{title} ({pages} pages), seal {seal}").format(title=f["title"], pages=f["pages"], seal=f["seal"])
