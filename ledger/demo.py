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
from ledger.i18n import count
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
    return keys.generate_key_file(path, badge, D.KEY_PASSPHRASE, make_parents=True)


def prepare_demo_ledger(url: str, *, tz: str, named: str) -> Ledger:
    """A new, empty ledger at `url`, migrated. Refuses one that already holds events: the
    demo never writes into an existing ledger."""
    from ledger.migrate import upgrade

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
        f"{named} already holds a ledger" + (f" ({events} events)" if events else "")
        + "; the demo never writes into an existing ledger.",
        hint=f"Remove {named}, or run 'evidence --db NEW_EMPTY_DB demo'.",
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

    yield "== 1. The people, each with a key of their own =="
    admin, admin_name, admin_unit = D.ADMIN
    key = _demo_key(folder, admin)
    lg.write(registry.init_ledger, admin, name=admin_name, unit=admin_unit, public_key=key.public_key)
    yield f"  {admin:<9} {'admin':<10} {admin_name}"
    for badge, name, role, unit in D.OFFICERS:
        pub = base64.b64encode(_demo_key(folder, badge).public_key).decode("ascii")
        lg.write(registry.add_officer, badge, name=name, role=role, unit=unit, by=admin, public_key=pub)
        yield f"  {badge:<9} {role:<10} {name}"
    yield f"  keys: {folder} (throwaway, passphrase '{D.KEY_PASSPHRASE}'); every event is signed by its officer"
    for code, name, kind in D.LOCATIONS:
        lg.write(registry.add_location, code, name=name, kind=kind, by=admin)
        yield f"  {code:<13} {kind:<13} {name}"

    yield ""
    yield "== 2. The case =="
    c = D.CASE
    lg.write(registry.open_case, c["case_no"], title=c["title"], prosecutor=c["prosecutor"], court=c["court"],
             by="DEMO-101", at=c["opened_at"], tz=tz)
    yield f"  {c['case_no']}: {c['title']}"
    yield "  A ring bought newborns from mothers in poverty in Arequipa and sold them; on 6 October 2020"
    yield "  the police raided three houses at dawn (names, places and numbers here are fictitious)."

    yield ""
    yield "== 3. The raids of 6 October 2020 and what they seized =="
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
    yield "== 4. The exchange rate of the seizure date =="
    r = D.RATE
    lg.write(rates.set_rate, r["date"], r["base"], r["quote"], r["rate"], source=r["source"], side=r["side"],
             by="DEMO-501")
    yield f"  {r['date']}: 1 {r['base']} = {r['rate']} {r['quote']} ({r['side']}), source: {r['source']}"
    yield "  This is an example value for the demonstration, not an official figure."
    amount, cur = D.PRICE_PER_BABY
    with lg.read() as session:
        conv = rates.convert(session, amount, cur, "USD", on=r["date"], side=r["side"], tz=tz)
    yield (f"  The ring charged {money.show_money(conv['amount_minor'], cur)} per baby: "
           f"{money.show_money(conv['converted_minor'], 'USD')} ({conv['formula']}, ROUND_HALF_UP)")

    yield ""
    yield "== 5. Chain of custody =="
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
                yield f"  2020-10-06 11:00  {officer} -> DEMO-201 at {location}: {', '.join(ids)} (both signed)"
    cash = [(i, f) for entries in held.values() for i, k, f in entries if k == "cash"]
    for n, (item_id, fields) in enumerate(cash, start=1):
        new_seal = f"DEMO-S-01{n:02d}"
        lg.write(custody.reseal_item, item_id, old_seal=fields["seal"], new_seal=new_seal,
                 reason="Recuento en bóveda y nuevo precinto", by="DEMO-201", at="2020-10-06T15:00", tz=tz)
        yield f"  2020-10-06 15:00  {item_id} recounted in the vault and resealed {fields['seal']} -> {new_seal}"
    phones = [i for entries in held.values() for i, k, _ in entries if k == "phone"]
    offer = lg.write(custody.transfer_items, phones, from_badge="DEMO-201", to_badge="DEMO-301",
                     reason="Pericia informática: extracción de datos", by="DEMO-201", at="2020-10-07T08:30",
                     location="DEMO-LAB", tz=tz)
    yield f"  2020-10-07 08:30  DEMO-201 offers to DEMO-301 (forensic lab): {', '.join(phones)} (in transit)"
    lg.write(custody.accept_items, phones, by="DEMO-301", seal_ok=True, at="2020-10-07T09:00", tz=tz)
    yield f"  2020-10-07 09:00  DEMO-301 accepts offer {offer['seq']}, seals intact: {', '.join(phones)}"
    lg.write(custody.transfer_items, phones, from_badge="DEMO-301", to_badge="DEMO-201",
             reason="Devolución tras la pericia", by="DEMO-301", at="2020-10-14T16:00", location="DEMO-ER", tz=tz,
             receiver_signs=True)
    yield f"  2020-10-14 16:00  DEMO-301 -> DEMO-201 (back in the evidence room): {', '.join(phones)}"
    contracts = next(i for entries in held.values() for i, k, f in entries
                     if k == "document" and "Contratos" in f["title"])
    lg.write(custody.transfer_items, [contracts], from_badge="DEMO-201", to_badge="DEMO-501",
             reason="Para la formalización de la investigación preparatoria", by="DEMO-201",
             at="2020-10-20T10:00", location="DEMO-FISCALIA", tz=tz, receiver_signs=True)
    yield f"  2020-10-20 10:00  DEMO-201 -> DEMO-501 (prosecutor): {contracts}"

    yield from _evidence_room(lg, held, tz)

    yield ""
    yield "== 7. The auditor verifies =="
    with lg.read() as session:
        report = verify_log(session)
    if not report.ok:  # the demo is a client like any other: say so if the ledger disagrees
        raise RuleError(f"verify found {count(len(report.findings), 'problem')} in the demo ledger.",
                        details=[f.render() for f in report.findings])
    yield f"  verify: clean, {count(report.events, 'event')} checked, {count(report.items_checked, 'item')} replayed"
    yield f"  head to keep: {report.head_seq}:{report.head_hash}"
    yield f"  (later: evidence verify --expect-head {report.head_seq}:{report.head_hash})"

    yield ""
    yield "== 8. The prosecutor's figures and workbook =="
    with lg.read() as session:
        totals = rates.case_totals(session, c["case_no"], in_currency="USD", side=r["side"], tz=tz)
        for pc in totals.per_currency:
            yield f"  cash {pc['currency']}: {money.show_money(pc['minor'], pc['currency'])} in {count(pc['items'], 'item')}"
        yield f"  total in USD: {money.show_money(totals.total_minor, 'USD')}"
        for used in totals.rates:
            yield f"  rate used: {used.citation()}"
        inv = case_inventory(session, c["case_no"], in_currency="USD", side=r["side"], tz=tz, by="DEMO-501")
        written = write_case_workbook(inv, out, lang=lang, force=force_out)
    yield f"  workbook ({lang}): {written.path}"
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
    yield "== 6. The evidence room: deposit, review dates, audit, what is due =="
    d = D.DEPOSIT
    cash = [(i, f) for entries in held.values() for i, k, f in entries if k == "cash"]
    soles = [i for i, f in cash if f["currency"] == "PEN"]
    lg.write(custody.deposit_cash, soles, bank=d["bank"], account=d["account"], voucher=d["voucher"], by=d["by"],
             at=d["at"], tz=tz)
    yield (f"  {d['at'].replace('T', ' ')}  {d['by']} deposits the soles ({', '.join(soles)}) in {d['bank']}, "
           f"account {d['account']}, voucher {d['voucher']}")
    yield f"  The dollars ({', '.join(i for i, f in cash if f['currency'] != 'PEN')}) stay in the vault."
    with lg.read() as session:
        totals = rates.case_totals(session, case_no, in_currency="USD", side=D.RATE["side"], tz=tz)
    for pc in totals.per_currency:
        code = pc["currency"]
        yield (f"  case totals {code}: {money.show_money(pc['deposited_minor'], code)} deposited, "
               f"{money.show_money(pc['undeposited_minor'], code)} not deposited")

    r = D.REVIEW
    vehicles = [i for entries in held.values() for i, k, _ in entries if k == "vehicle"]
    lg.write(reviews.set_review, vehicles, on=r["on"], reason=r["reason"], by=r["by"], at=r["at"], tz=tz)
    yield f"  {r['at'].replace('T', ' ')}  {r['by']} sets the review date of the vehicles ({', '.join(vehicles)}): {r['on']}"

    a = D.AUDIT
    started = lg.write(audits.start_audit, a["location"], by=a["by"], sample=a["sample"])
    sample = started["sample"]
    yield (f"  audit {started['id']} of {a['location']} by {a['by']}: {started['sample_size']} of "
           f"{started['population']} item(s) drawn, seed {started['seed'][:16]}...")
    with lg.read() as session:
        seals = {i: items.show_item(session, i)["seal"] for i in sample}
    for n, item_id in enumerate(sample):
        if n == 0:  # planted: the bag on the shelf carries another seal than the record
            lg.write(audits.check_item, started["id"], item_id, by=a["by"], found=True, missing=False,
                     seal=a["planted_seal"], note="Precinto distinto en el estante (plantado para la demostración)")
            yield f"    {item_id}  found, sealed {a['planted_seal']} (planted: the record says {seals[item_id]})"
        elif n == 1:  # planted: the bag is not on the shelf
            lg.write(audits.check_item, started["id"], item_id, by=a["by"], found=False, missing=True,
                     note="No está en el estante (plantado para la demostración)")
            yield f"    {item_id}  missing (planted)"
        else:
            lg.write(audits.check_item, started["id"], item_id, by=a["by"], found=True, missing=False,
                     seal=seals[item_id])
            yield f"    {item_id}  found, sealed {seals[item_id]} as on record"
    closed = lg.write(audits.close_audit, started["id"], by=a["by"])
    for f in closed["findings"]:
        yield f"    finding: {f['item']} {f['kind']}, {f['detail']}"
    with tempfile.TemporaryDirectory() as folder:
        with lg.read() as session:
            bundle.export_log(session, Path(folder) / "log")
        again = audits.redraw_from_bundle(Path(folder) / "log", started["id"])
    if (again["seed"], again["sample"]) != (started["seed"], sample):
        raise RuleError(f"the sample of {started['id']} re-drawn from an exported copy of the log differs: "
                        f"{', '.join(again['sample'])}, not {', '.join(sample)}.")
    yield (f"  Re-drawn from an exported copy of the log ({again['events']} events): the same seed and the same "
           f"{len(sample)} item(s).")

    with lg.read() as session:
        report = due.due_report(session, case_no=case_no, at=D.DUE_AT, tz=tz)
    yield f"  evidence due --case {case_no} --at {D.DUE_AT}:"
    for rule in report["rules"]:
        yield f"    rule {rule['rule']}: {rule['threshold']}"
    for e in report["entries"]:
        yield f"    {e['rule']:<16}  {e['item']}  due {local_iso(e['due_at'], tz)}  {e['detail']}"


def _describe(kind: str, f: dict, money) -> str:
    if kind == "cash":
        amount = money.parse_amount(f["amount"], f["currency"])
        minor = money.to_minor(amount, f["currency"])
        return f"{money.show_money(minor, f['currency'])} ({f['denominations']}), seal {f['seal']}"
    if kind == "vehicle":
        return f"{f['make']} {f['model']} {f['year']}, plate {f['plate']}, declared {f['value']}"
    if kind == "phone":
        return f"{f['make']} {f['model']}, IMEI {f['imei']}, seal {f['seal']}"
    return f"{f['title']} ({f['pages']} pages), seal {f['seal']}"
