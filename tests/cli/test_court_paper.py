"""The custody form and the labels as a court clerk and an evidence room read them, read back
from the PDF with poppler: every signer and key id of every act shown and that it was checked,
never "sin firma" for a signed act, no event-type code, no word broken across lines, in the
document's language or else the interface's; the labels' packing fields and their 5 mm margins,
measured on the page."""

from __future__ import annotations

import re
import subprocess

import pytest
from sqlalchemy import select, text

from tests.cli.test_documents import CASE, needs_poppler, pdf_text

MM = 72 / 25.4
CODE = re.compile(r"\b(?:item|custody|audit|review|case|seizure|officer|identity|rate)\.[a-z_]+\b")


@pytest.fixture
def demo(cli, tmp_path):
    cli.ok("demo", "--out", str(tmp_path / "demo.xlsx"))
    return cli


def _session(db_url):
    from ledger.db import open_ledger

    return open_ledger(db_url, create_if_new=False)


def _signers(db_url, items: list[str]) -> list[tuple[str, str]]:
    """(officer name, key id) of every signature on the events of `items`, from the ledger's rows."""
    from ledger.models import EventItem, EventSignature, Item, Officer

    ledger = _session(db_url)
    try:
        with ledger.read() as session:
            rows = session.execute(
                select(Officer.name, EventSignature.key_id).join(Officer, Officer.badge == EventSignature.signer)
                .join(EventItem, EventItem.seq == EventSignature.seq).join(Item, Item.no == EventItem.item_no)
                .where(Item.id.in_(items))).all()
    finally:
        ledger.dispose()
    return sorted(set(map(tuple, rows)))


def _vocabulary(db_url, items: list[str], lang: str, pages: int) -> set[str]:
    """Every word the form is made of (what the ledger gives it, and its headings in `lang`):
    a word the PDF shows that is not one of these was broken across lines."""
    from ledger.documents.custody_form import custody_forms, footer_pattern, header, ident_texts, row_texts, titles
    from ledger.i18n import translator

    _ = translator(lang)
    ledger = _session(db_url)
    try:
        with ledger.read() as session:
            forms, head = custody_forms(session, items, lang=lang)
    finally:
        ledger.dispose()
    texts = [*header(_), *titles(_).values(), titles(_)["made"].format(seq=head)]
    for form in forms:
        texts.append(f"{titles(_)['heading']} — {form.item.id}")
        texts += [value for pair in ident_texts(form, head, _) for value in pair]
        texts += [cell for row in form.events for cell in row_texts(row, _)]
        texts += [footer_pattern(_).format(case=form.item.case_no, item=form.item.id, page=page, pages=pages)
                  for page in range(1, pages + 1)]
    return {word for t in texts for word in t.split()}


def _form(cli, tmp_path, *args, env=None) -> tuple[dict, str]:
    out = tmp_path / "form.pdf"
    done = cli.ok(*args[:-1], "export", "custody-form", *args[-1], "--out", str(out), "--force", json_out=True,
                  env=env)
    return done, pdf_text(out)


@needs_poppler
@pytest.mark.parametrize("lang", ["es", "en"])
def test_custody_form_shows_each_signature_it_checked_and_no_word_broken(demo, tmp_path, lang):
    items = ["EV-000001", "EV-000004", "EV-000009"]
    out = tmp_path / "form.pdf"
    done = demo.ok("export", "custody-form", *items, "--out", str(out), "--lang", lang, json_out=True)
    text = pdf_text(out)
    signers = _signers(demo.db_url, items)
    assert len(signers) >= 4
    for name, key_id in signers:
        assert name in text and key_id in text, (name, key_id)
    verified, unsigned = {"es": ("verificada contra la bitácora", "sin firma"),
                          "en": ("verified against the log", "not signed")}[lang]
    assert text.count(verified) >= sum(len(demo.ok("item", "history", i, json_out=True)["events"]) for i in items) - 1
    assert unsigned not in text and "no digital signature" not in text and "sin firma digital" not in text
    assert not CODE.search(text), CODE.search(text).group(0)
    # Every word is one the ledger or the catalogue gave whole: none was cut at a line's end.
    raw = subprocess.run(["pdftotext", "-raw", str(out), "-"], capture_output=True, text=True, check=True).stdout
    known = _vocabulary(demo.db_url, items, lang, done["pages"])
    broken = sorted({w for w in raw.split() if w not in known})
    assert not broken, broken


@needs_poppler
def test_the_form_speaks_the_interface_language_unless_told_otherwise(demo, tmp_path):
    _done, english = _form(demo, tmp_path, "--lang", "en", ["EV-000004"])
    assert "Chain of custody form" in english and "Formato" not in english and "Handover" in english
    _done, spanish = _form(demo, tmp_path, ["EV-000004"], env={"EVIDENCE_LANG": "es"})
    assert "Formato de cadena de custodia" in spanish and "Entrega" in spanish and "Chain of" not in spanish
    # Nothing English on the Spanish form: no catalogue word left untranslated.
    for english_word in ("Handover", "Seal", "Observations", "Receives", "badge", "key id", "verified", "offered"):
        assert english_word not in spanish, english_word
    _done, own = _form(demo, tmp_path, "--lang", "es", ["EV-000004", "--lang", "en"])
    assert "Chain of custody form" in own
    labels = tmp_path / "labels.pdf"
    demo.ok("--lang", "es", "label", "EV-000004", "--out", str(labels))
    assert "Embalado y lacrado por" in pdf_text(labels)


@needs_poppler
def test_a_signature_row_that_does_not_verify_stops_the_form(demo, tmp_path):
    from ledger.models import EventSignature

    ledger = _session(demo.db_url)
    try:
        with ledger.engine.begin() as conn:
            seq = conn.execute(text("SELECT max(seq) FROM events WHERE type = 'custody.accepted'")).scalar_one()
            conn.execute(EventSignature.__table__.insert().values(seq=seq, signer="DEMO-101", key_id="00" * 8,
                                                                 signature="ab" * 64))
    finally:
        ledger.dispose()
    out = tmp_path / "form.pdf"
    result = demo("export", "custody-form", "EV-000004", "--out", str(out))
    assert result.exit_code == 3 and not out.exists(), result.stderr
    # Every court document first checks the case's events and their signatures against the log.
    assert f"seq {seq}" in result.stderr and "DEMO-101" in result.stderr and "differ from the log" in result.stderr


# -- labels -----------------------------------------------------------------------------------
def _pages_words(path):
    """Per page: (width, height, words as (x0, y0, x1, y1, text)) in points, from pdftotext -bbox."""
    import html

    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    pages = []
    for page in re.findall(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', out, flags=re.S):
        words = [(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>', page[2])]
        pages.append((float(page[0]), float(page[1]), words))
    return pages


@needs_poppler
@pytest.mark.parametrize("layout", ["a4-3x8", "roll-62mm"])
def test_labels_keep_5_mm_from_the_sheet_edge(demo, tmp_path, layout):
    from PIL import Image

    out = tmp_path / "labels.pdf"
    demo.ok("label", "--case", CASE, "--out", str(out), "--layout", layout, "--lang", "es")
    pages = _pages_words(out)
    assert pages and all(words for _w, _h, words in pages)
    for width, height, words in pages:
        for x0, y0, x1, y1, word in words:
            assert min(x0, y0, width - x1, height - y1) >= 5 * MM - 0.01, (layout, word, x0 / MM, y0 / MM)
    # The QR codes too: no dark pixel within 5 mm of the edge of any page.
    subprocess.run(["pdftoppm", "-r", "100", "-gray", "-png", str(out), str(tmp_path / "page")], check=True)
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as page:
            px = round(5 * 100 / 25.4) - 1  # 5 mm at 100 dpi, less a pixel of anti-aliasing
            w, h = page.size
            for box in ((0, 0, w, px), (0, h - px, w, h), (0, 0, px, h), (w - px, 0, w, h)):
                assert page.convert("L").crop(box).getextrema()[0] > 128, (png.name, box)


@needs_poppler
@pytest.mark.parametrize("lang", ["es", "en"])
def test_each_label_says_who_packed_and_sealed_it_and_when(demo, tmp_path, lang):
    out = tmp_path / "labels.pdf"
    demo.ok("label", "EV-000001", "EV-000003", "EV-000004", "--out", str(out), "--lang", lang)
    said = pdf_text(out)
    if lang == "es":
        # EV-000001 was resealed in the vault by its custodian; EV-000003 (a vehicle) has no seal.
        assert "Embalado y lacrado por Carmen Ficticia Flores (custodia), CIP DEMO-201, el 2020-10-06 15:00, " \
               "firma __________" in said
        assert "Embalado y lacrado por Sgto. Ana Ficticia Quispe, CIP DEMO-101, el 2020-10-06 09:00" in said
        assert "Embalado y lacrado por __________, CIP __________, el __________, firma" in said
        assert said.count("Delito: __________") == 3 and said.count("Carpeta fiscal: __________") == 3
    else:
        assert "Packed and sealed by Carmen Ficticia Flores (custodia), badge DEMO-201, on 2020-10-06 15:00, " \
               "signature __________" in said
        assert said.count("Offence: __________") == 3 and said.count("Prosecutor's file: __________") == 3


def test_a_label_prints_the_offence_and_file_the_ledger_holds():
    from ledger.documents.facts import ItemFacts
    from ledger.documents.labels import label_paragraphs
    from ledger.i18n import translator

    facts = ItemFacts(id="EV-000001", kind="cash", kind_word="Efectivo", case_no="AQP-2020-0147", case_title="",
                      seizure="SZ-000001", acta=None, seizure_at="2020-10-06 05:30 -05:00", seizure_place="Arequipa",
                      status="in-custody", status_word="en custodia", holder="B-1001", holder_name="Ana Quispe",
                      location=None, seal="S-0001", short="US$15,000.00", offence="Trata de personas",
                      fiscal_file="CF 2020-147", packed_by="B-1001", packed_by_name="Ana Quispe",
                      packed_at="2020-10-06 09:00")
    said = [t for _font, t, _most, _least in label_paragraphs(facts, translator("es"))]
    assert "Delito: Trata de personas" in said and "Carpeta fiscal: CF 2020-147" in said
    assert "Embalado y lacrado por Ana Quispe, CIP B-1001, el 2020-10-06\u00a009:00, firma __________" in said


@needs_poppler
@pytest.mark.parametrize("lang", ["es", "en"])
def test_offers_show_as_one_row_with_what_the_receiver_found(seeded, tmp_path, lang):
    """An offer and its acceptance (or refusal) are one row, signed by both, with the seal as the
    receiver found it; an offer not yet answered says it awaits acceptance."""
    from tests.helpers import GOOD_IMEI

    cli = seeded
    cli.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "Galaxy A10",
           "--seal", "S-0001", "--location", "ER-AQP", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("custody", "transfer", "EV-000001", "--from", "B-1001", "--to", "C-3001", "--reason", "Al almacén",
           "--location", "ER-AQP", "--by", "B-1001", "--at", "2020-10-06T08:00", offer=True)
    cli.ok("custody", "decline", "EV-000001", "--reason", "No corresponde al acta", "--by", "C-3001",
           "--at", "2020-10-06T08:30")
    cli.ok("custody", "transfer", "EV-000001", "--from", "B-1001", "--to", "C-3001", "--reason", "Al almacén, otra vez",
           "--location", "VAULT-1", "--by", "B-1001", "--at", "2020-10-06T09:00", offer=True)
    cli.ok("custody", "accept", "EV-000001", "--seal-broken", "esquina despegada", "--by", "C-3001",
           "--at", "2020-10-06T09:30")
    cli.ok("custody", "transfer", "EV-000001", "--from", "C-3001", "--to", "F-2001", "--reason", "Para la fiscalía",
           "--by", "C-3001", "--at", "2020-10-07T09:00", offer=True)
    out = tmp_path / "form.pdf"
    cli.ok("export", "custody-form", "EV-000001", "--out", str(out), "--lang", lang)
    said = pdf_text(out)
    history = [e["seq"] for e in cli.ok("item", "history", "EV-000001", json_out=True)["events"]]
    assert len(history) == 6
    refused, accepted, pending = history[1:3], history[3:5], history[5]
    words = {"es": ("Entrega rechazada", "rechazado por quien recibe: No corresponde al acta", "Entrega",
                    "precinto roto: esquina despegada", "Entrega ofrecida, pendiente de aceptación", "eventos", "evento"),
             "en": ("Handover refused", "refused by the receiver: No corresponde al acta", "Handover",
                    "seal broken: esquina despegada", "Handover offered, awaiting acceptance", "events", "event")}[lang]
    assert words[0] in said and words[1] in said and words[3] in said and words[4] in said
    for pair in (refused, accepted):
        assert f"({words[5]} {pair[0]}, {pair[1]})" in said
    assert f"({words[6]} {pending})" in said
    assert "Vault" in said and "VAULT-1" not in said
    for name in ("Ana Quispe Mamani", "Carmen Flores Ticona"):
        assert name in said
    assert said.count(words[2]) >= 3


def test_the_journal_speaks_the_interface_language_and_keeps_its_account_names(demo, tmp_path):
    out = tmp_path / "caso.journal"
    demo.ok("--lang", "es", "export", "journal", "--case", CASE, "--out", str(out))
    said = out.read_text(encoding="utf-8")
    assert said.startswith("; Movimientos de efectivo del registro de evidencias, caso " + CASE)
    assert "registro de EV-000001" in said and "fuente EJEMPLO" in said
    # Account names are what hledger reports select on: the same in every language.
    assert "holders:DEMO-101" in said and f"seized:{CASE}" in said and "Cash movements" not in said
