"""The rulebook is the one definition: standard library only, every event type and every rule
it names stated in docs/FORMAT.md section 5, the tables it builds those the models declare."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from ledger.models import Base
from ledger.rules import RULES
from ledger.rules.state import LOG_TABLE, SIGNATURE_TABLE, TABLES

ROOT = Path(__file__).resolve().parents[2]
RULES_DIR = ROOT / "ledger" / "rules"


def _format_section() -> str:
    text = (ROOT / "docs" / "FORMAT.md").read_text(encoding="utf-8")
    return text[text.index("## 5. The rules"):text.index("## 6. ")]


def test_the_rulebook_imports_only_the_standard_library_and_itself():
    for path in RULES_DIR.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                top = name.split(".")[0]
                assert name.startswith("ledger.rules") or top in sys.stdlib_module_names or top == "__future__", (
                    path.name, name)


def test_format_md_states_every_event_type_and_every_rule():
    section = _format_section()
    for type_ in RULES:
        assert f"`{type_}`" in section, type_
    named = set()
    for path in RULES_DIR.glob("*.py"):
        named |= set(re.findall(r'problem\(out, "([a-z-]+)"', path.read_text(encoding="utf-8")))
        named |= set(re.findall(r'Problem\("([a-z-]+)"', path.read_text(encoding="utf-8")))
        named |= set(re.findall(r'"([a-z-]+)", "[a-z-]+ (?:transferred|deposited) from', path.read_text()))
    assert len(named) > 30
    for rule in named:
        assert f"[`{rule}`" in section or f"`{rule}`]" in section or f", `{rule}`" in section, rule


def test_the_models_declare_exactly_the_tables_the_rulebook_builds():
    declared = {t.name: (tuple(c.name for c in t.columns), tuple(c.name for c in t.primary_key.columns))
                for t in Base.metadata.sorted_tables if t.name not in (LOG_TABLE, SIGNATURE_TABLE)}
    assert declared == TABLES
