"""One word for each thing: the documents' texts come from the catalogue, never from (English,
Spanish) pairs in code, and the catalogue says what docs/glossary.md says.

The files listed in DOCUMENTS are the ones whose texts have moved into the catalogue; the workbook
writer (ledger/xlsx/) still keeps its own pairs and joins this list when it is converted."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from ledger.i18n import LOCALE_DIR

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "docs" / "glossary.md"
PO = LOCALE_DIR / "es" / "LC_MESSAGES" / "evidence.po"
DOCUMENTS = [ROOT / p for p in (
    "ledger/documents/custody_form.py", "ledger/documents/facts.py", "ledger/documents/labels.py",
    "ledger/documents/pdf.py", "ledger/documents/signatures.py", "ledger/operations/journal.py",
)]
# The pair and Spanish-literal scan covers every module of the documents and the operations.
SCANNED = sorted({*DOCUMENTS, *(ROOT / "ledger" / "documents").glob("*.py"), *(ROOT / "ledger" / "operations").glob("*.py")})
KEYWORDS = {"_", "N_"}


def glossary() -> list[tuple[str, str]]:
    rows = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("|") and len(cells) == 3 and cells[0] not in ("en", "") and not set(cells[0]) <= {"-"}:
            rows.append((cells[0], cells[1]))
    return rows


def messages(path: Path) -> list[str]:
    """The texts `path` passes to `_` or `N_` (the first argument, a string literal)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS \
                and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            found.append(node.args[0].value)
    return found


def spanish() -> dict[str, str]:
    with open(PO, "rb") as fh:
        return {m.id: m.string for m in read_po(fh, locale="es") if isinstance(m.id, str) and m.id}


def prose(text: str) -> str:
    """`text` without what is never translated: {placeholders}, options (--case), a command
    (`evidence label ...`), account names (holders:BADGE) and file names."""
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\bevidence [a-z-]+", " ", text)
    return re.sub(r"--[\w-]+|\S*\w[:.]\w\S*", " ", text)


def _says(text: str, term: str) -> bool:
    """Whether `text` uses the English `term` as a word, in the singular or plural."""
    return re.search(rf"(?<![\w']){re.escape(term)}s?(?![\w'])", prose(text), flags=re.I) is not None


def _has(text: str, term: str) -> bool:
    """Whether `text` uses the Spanish `term`, each of its words in the singular or plural."""
    words = [re.escape(w) + r"(?:s|es)?" for w in term.lower().split()]
    return re.search(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", text.lower()) is not None


def test_the_glossary_has_its_terms():
    rows = glossary()
    assert len(rows) >= 30 and ("badge", "CIP") in rows and ("handover", "entrega") in rows
    assert len({en for en, _es in rows}) == len(rows), "a term is listed twice"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_catalogue_uses_the_glossary_words_in_the_documents(path):
    catalogue = spanish()
    wrong = []
    for msgid in messages(path):
        assert catalogue.get(msgid), f"{path.name}: no Spanish for {msgid!r} (run python -m ledger.cli.messages)"
        for en, es in glossary():
            if _says(msgid, en) and not _has(catalogue[msgid], es):
                wrong.append(f"{msgid!r} -> {catalogue[msgid]!r}: {en!r} is {es!r}")
    assert not wrong, "\n".join(wrong)


def test_every_glossary_term_is_used_by_a_document():
    said = [m for path in DOCUMENTS for m in messages(path)]
    unused = [en for en, _es in glossary() if not any(_says(m, en) for m in said)]
    assert not unused, f"docs/glossary.md lists terms no document uses: {unused}"


def _code(text: str) -> bool:
    """A code the program reads (a language, an event type), not a word a person reads."""
    return re.fullmatch(r"[a-z0-9]{0,3}|[a-z0-9]+(?:[._-][a-z0-9]+)+", text) is not None


@pytest.mark.parametrize("path", SCANNED, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_english_spanish_pairs_or_spanish_literals_in_code(path):
    """Every word of a document comes from the catalogue: no pair of words in two languages in
    code (a tuple or list of two string literals that are not both codes), and no literal that
    only Spanish would write (an accent, an ñ, ¿ or ¡) outside a call of `_`."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    pairs, spanish_words = [], []
    for node in ast.walk(tree):
        if isinstance(node, (ast.Tuple, ast.List)) and len(node.elts) == 2 and all(
                isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
            values = [e.value for e in node.elts]
            if not all(_code(v) for v in values):
                pairs.append((node.lineno, values))
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and re.search(r"[áéíóúñ¿¡]", node.value,
                                                                                         flags=re.I):
            spanish_words.append((node.lineno, node.value))
    assert not pairs, f"{path.name}: (English, Spanish) pairs in code: {pairs}"
    assert not spanish_words, f"{path.name}: Spanish written in code, not in the catalogue: {spanish_words}"


def test_the_pair_check_finds_a_pair(tmp_path):
    """The scan above would see the pairs the documents used to keep."""
    sample = tmp_path / "sample.py"
    sample.write_text('TEXT = {"seal": ("Seal", "Precinto"), "x": ("registered", "registro")}\nLANGS = ("es", "en")\n',
                      encoding="utf-8")
    tree = ast.parse(sample.read_text(encoding="utf-8"))
    found = [[e.value for e in n.elts] for n in ast.walk(tree) if isinstance(n, ast.Tuple) and len(n.elts) == 2
             and not all(_code(e.value) for e in n.elts)]
    assert found == [["Seal", "Precinto"], ["registered", "registro"]]
