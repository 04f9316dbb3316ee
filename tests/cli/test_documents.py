"""`evidence export custody-form` and `evidence label`: the PDFs read back with poppler
(pdftotext, pdffonts, pdftoppm) and the labels' QR codes decoded with zbarimg, on the demo
case, in Spanish and English; a scanned payload finds its item; refusals write no file."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from tests.helpers import GOOD_IMEI

CASE = "DEMO-AQP-2020-0147"
POPPLER = shutil.which("pdftotext") and shutil.which("pdffonts") and shutil.which("pdftoppm")
ZBAR = shutil.which("zbarimg")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="poppler-utils (pdftotext, pdffonts, pdftoppm) is not "
                                                       "installed; .ci/run installs it")
needs_zbar = pytest.mark.skipif(not (POPPLER and ZBAR), reason="zbar-tools (zbarimg) or poppler-utils is not "
                                                               "installed; .ci/run installs them")


@pytest.fixture
def demo(cli, tmp_path):
    cli.ok("demo", "--out", str(tmp_path / "demo.xlsx"))
    return cli


def pdf_text(path, *flags: str) -> str:
    """The PDF's text in drawing order, each run of white space one space (a table cell's
    wrapped lines come one after the other)."""
    out = subprocess.run(["pdftotext", "-raw", *flags, str(path), "-"], capture_output=True, text=True, check=True)
    return " ".join(out.stdout.split())


def qr_payloads(path, tmp_path, layout: str = "a4-3x8") -> list[str]:
    """The QR codes of a label PDF, read label by label as a hand scanner reads them (zbarimg
    on a whole sheet of 24 codes sometimes misses one that it reads alone)."""
    from PIL import Image

    from ledger.documents.labels import LAYOUTS

    cut = LAYOUTS[layout]
    subprocess.run(["pdftoppm", "-r", "300", "-png", str(path), str(tmp_path / "page")], check=True)
    found = []
    for png in sorted(tmp_path.glob("page*.png")):
        with Image.open(png) as page:
            px = page.width / cut.page[0]  # pixels per millimetre
            for row in range(cut.rows):
                for col in range(cut.columns):
                    box = ((cut.left + col * cut.width) * px, (cut.top + row * cut.height) * px,
                           (cut.left + (col + 1) * cut.width) * px, (cut.top + (row + 1) * cut.height) * px)
                    label = tmp_path / "label.png"
                    page.crop(tuple(round(v) for v in box)).save(label)
                    out = subprocess.run(["zbarimg", "-q", "--raw", str(label)], capture_output=True, text=True)
                    found += [line for line in out.stdout.splitlines() if line]
    return found


@needs_poppler
@pytest.mark.parametrize("lang", ["es", "en"])
def test_custody_form_holds_every_event_of_each_item(demo, tmp_path, lang):
    out = tmp_path / "custodia.pdf"
    done = demo.ok("export", "custody-form", "EV-000001", "EV-000004", "--out", str(out), "--lang", lang,
                   json_out=True)
    assert done["items"] == ["EV-000001", "EV-000004"] and done["pages"] >= 2
    text = pdf_text(out)
    words = {"es": ("Formato de cadena de custodia", "Identificación del bien", "Firma (entrega)", "evento", "página",
                    "de", "Entrega", "Recibe (nombre, CIP)", "CIP DEMO-201"),
             "en": ("Chain of custody form", "Identification of the item", "Signature (hands over)", "event", "page",
                    "of", "Handover", "Receives (name, badge)", "badge DEMO-201")}[lang]
    heading, ident, signature, event, page, of, handover, receives, badge = words
    for shown in (heading, ident, signature, handover, receives, badge):
        assert shown in text, shown
    for item in ("EV-000001", "EV-000004"):
        history = demo.ok("item", "history", item, json_out=True)
        assert len(history["events"]) >= 2
        for e in history["events"]:
            assert re.search(rf"\({event}s? (\d+, )*{e['seq']}(, \d+)*\)", text), (item, e)
            if e["type"] == "custody.transferred":
                assert e["reason"] in text
    # An offered handover and its acceptance are one row: the offer's reason, then both events.
    assert re.search(rf"Pericia informática: extracción de datos .*\({event}s 43, 44\)|\({event}s 43, 44\)", text)
    # What identifies the items: the cash's notes, the phone's IMEI, both seals of the resealed bag.
    shown = demo.ok("item", "show", "EV-000001", json_out=True)
    assert shown["denominations"].replace(",", ", ") in text
    assert demo.ok("item", "show", "EV-000004", json_out=True)["imei"] in text
    assert "DEMO-S-0001" in text and "DEMO-S-0101" in text
    assert "recién nacidos" in text  # accents survive the embedded font
    assert "Laboratorio de Criminalística (ejemplo)" in text and "DEMO-LAB" not in text  # places by name
    pages = done["pages"]
    assert f"{page} {pages} {of} {pages}" in text and f"{CASE} — EV-000004" in text
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(re.search(r"\byes\b", f.split("TrueType", 1)[-1]) for f in fonts), fonts


@needs_zbar
@pytest.mark.parametrize("layout", ["a4-3x8", "roll-62mm"])
def test_label_qr_codes_decode_to_payloads_that_item_show_finds(demo, tmp_path, layout):
    out = tmp_path / "rotulos.pdf"
    done = demo.ok("label", "--case", CASE, "--out", str(out), "--layout", layout, "--lang", "es", json_out=True)
    assert len(done["items"]) == 13
    assert done["pages"] == (1 if layout == "a4-3x8" else 13)
    scanned = qr_payloads(out, tmp_path, layout)
    assert sorted(scanned) == sorted(done["payloads"].values())
    for payload in scanned:
        item, case, short = payload.split("/")
        assert case == CASE and re.fullmatch(r"[0-9A-F]{12}", short)
        shown = demo.ok("item", "show", payload, json_out=True)
        assert shown["id"] == item and shown["case_no"] == CASE
        registration = demo.ok("item", "history", item, json_out=True)["events"][0]
        assert registration["seq"] == shown["registered_seq"] and registration["hash"].upper().startswith(short)
    text = pdf_text(out)
    assert "EV-000013" in text and "Precinto DEMO-S-0101" in text
    assert text.count("Embalado y lacrado por") == 13 and text.count("Carpeta fiscal:") == 13
    if layout == "roll-62mm":  # room for the seizure's date and place on the roll
        assert "Incautado 2020-10-06" in text


@needs_zbar
def test_label_of_a_disposed_item_is_marked_and_scans(seeded, tmp_path):
    cli = seeded
    cli.ok("phone", "add", "SZ-000001", "--imei", GOOD_IMEI, "--make", "Samsung", "--model", "Galaxy A10",
           "--seal", "S-0002", "--by", "B-1001", "--at", "2020-10-06T06:00")
    cli.ok("custody", "dispose", "EV-000001", "--action", "returned", "--authority", "Resolución 12-2021",
           "--at", "2021-01-05T10:00", "--by", "F-2001")
    for lang, mark in (("es", "DISPUESTO (devuelto)"), ("en", "DISPOSED (returned)")):
        out = tmp_path / f"label-{lang}.pdf"
        cli.ok("label", "EV-000001", "--out", str(out), "--lang", lang)
        assert mark in pdf_text(out)
    [payload] = qr_payloads(tmp_path / "label-es.pdf", tmp_path)
    assert json.loads(cli("--json", "item", "show", payload).stdout)["status"] == "disposed"


def _words(path) -> list[list[tuple[float, float, float, float, str]]]:
    """Each page's words with their boxes (x0, y0, x1, y1, text), as pdftotext -bbox reads them."""
    import html

    out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True).stdout
    word = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>')
    return [[(float(a), float(b), float(c), float(d), html.unescape(t)) for a, b, c, d, t in word.findall(page)]
            for page in out.split("<page ")[1:]]


@needs_poppler
@pytest.mark.parametrize("lang", ["es", "en"])
def test_labels_on_a_sheet_have_no_text_under_8_pt_and_lose_nothing_that_fits(demo, tmp_path, lang):
    """The a4-3x8 labels of the demo case: every word 8 pt or more (measured against the 13 pt
    evidence number), no word over another or over the QR code's column, the short hash under the
    code, and the descriptions that fit the label printed whole."""
    out = tmp_path / "rotulos.pdf"
    done = demo.ok("label", "--case", CASE, "--out", str(out), "--lang", lang, json_out=True)
    [words] = _words(out)
    numbers = [w for w in words if re.fullmatch(r"EV-\d{6}", w[4])]
    assert len(numbers) == 13
    per_point = (numbers[0][3] - numbers[0][1]) / 13
    for w in words:
        assert (w[3] - w[1]) / per_point >= 8 - 0.05, w
    for i, a in enumerate(words):
        for b in words[i + 1:]:
            across = min(a[2], b[2]) - max(a[0], b[0])
            down = min(a[3], b[3]) - max(a[1], b[1])
            assert across <= 0 or down <= 0.25 * min(a[3] - a[1], b[3] - b[1]), (a, b)
    for payload in done["payloads"].values():
        assert any(w[4] == "#" + payload.rsplit("/", 1)[-1] for w in words), payload
    text = pdf_text(out)
    assert "Toyota Hilux" in text and "Hyundai Accent" in text  # a description gives way last


def _payload(cli, item: str) -> str:
    from ledger.items import label_payload

    shown = cli.ok("item", "show", item, json_out=True)
    registration = cli.ok("item", "history", item, json_out=True)["events"][0]
    return label_payload(shown["id"], shown["case_no"], registration["hash"])


def test_a_label_from_another_ledger_is_refused(demo):
    payload = _payload(demo, "EV-000002")
    assert demo.ok("item", "show", payload.lower(), json_out=True)["id"] == "EV-000002"
    item, case, short = payload.split("/")
    other_hash = ("0" if short[0] != "0" else "1") + short[1:]
    result = demo("item", "show", f"{item}/{case}/{other_hash}")
    assert result.exit_code == 3 and result.stdout == ""
    assert f"carries the hash {other_hash}" in result.stderr and "not printed from this ledger" in result.stderr
    result = demo("item", "show", f"{item}/LIM-2020-0001/{short}")
    assert result.exit_code == 3 and "names case LIM-2020-0001" in result.stderr
    result = demo("item", "show", f"EV-999999/{case}/{short}")
    assert result.exit_code == 1 and "no item" in result.stderr


def test_label_payload_round_trips_odd_case_numbers():
    from ledger.items import label_payload, parse_label_payload

    for case in ("AQP-2020-0147", "AQP 2020/0147", "EXP. #12:2020", "A/B/C"):
        payload = label_payload("EV-000042", case, "ab" * 32)
        assert " " not in payload and "#" not in payload
        assert parse_label_payload(payload) == (42, case, "ab" * 6)
    assert parse_label_payload("EV-000042") is None
    assert parse_label_payload("EV-000042/AQP/ABC") is None


@pytest.mark.parametrize("args", [
    ["label", "EV-000001", "--layout", "a5-2x2"],
    ["label", "EV-999999"],
    ["label", "EV-000001", "--case", CASE],
    ["label", "--seizure", "SZ-000099"],
    ["export", "custody-form", "EV-999999"],
    ["export", "custody-form", "EV-000001", "--lang", "fr"],
])
def test_refusals_write_no_file(demo, tmp_path, args):
    out = tmp_path / "out.pdf"
    before = demo.snapshot()
    result = demo(*args, "--out", str(out))
    assert result.exit_code in (1, 2) and result.stdout == ""
    assert result.stderr.startswith(("error: ", "Usage: ")) and "Traceback" not in result.stderr
    assert not out.exists() and not list(tmp_path.glob(".out.pdf.*"))
    assert demo.snapshot() == before


@pytest.mark.parametrize("command", [["label", "EV-000001"], ["export", "custody-form", "EV-000001"]])
def test_an_existing_out_is_replaced_only_with_force(demo, tmp_path, command):
    out = tmp_path / "out.pdf"
    out.write_bytes(b"an earlier file")
    result = demo(*command, "--out", str(out))
    assert result.exit_code == 1 and "already exists" in result.stderr and "--force" in result.stderr
    assert out.read_bytes() == b"an earlier file"
    demo.ok(*command, "--out", str(out), "--force")
    assert out.read_bytes().startswith(b"%PDF-")


def test_the_ledger_file_is_never_an_out(demo, backend):
    if backend != "sqlite":
        pytest.skip("only a SQLite ledger is a file")
    ledger = demo.db_url.removeprefix("sqlite:///")
    link = ledger.removesuffix(".db") + ".pdf"
    import os

    os.symlink(ledger, link)
    result = demo("label", "EV-000001", "--out", link, "--force")
    assert result.exit_code == 1 and "ledger's own database file" in result.stderr
    assert demo.ok("item", "show", "EV-000001", json_out=True)["id"] == "EV-000001"
