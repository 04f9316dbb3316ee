"""'Did you mean ...?': the registered names closest to a mistyped one.

A badge, case number or location typed from a paper form is often one key off (B-1010 for
B-1001, bcrp for BCRP). The refusal stays a refusal; it only names what was probably meant.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from ledger.i18n import _
from ledger.validate import identifier_key, or_list

MAX_SUGGESTIONS = 3
# difflib's similarity ratio below which a name is not offered: 0.6 is its own default, and
# keeps "B-1001" for "B-1010" while not offering "VAULT-1" for "ER-AQP".
CUTOFF = 0.6


def closest(value: str, names: Iterable[str], n: int = MAX_SUGGESTIONS) -> list[str]:
    """The names most like `value`, best first, compared without case or separators."""
    by_key: dict[str, list[str]] = {}
    for name in names:
        by_key.setdefault(identifier_key(name) or name.upper(), []).append(name)
    key = identifier_key(value) or value.upper()
    keys = difflib.get_close_matches(key, list(by_key), n=max(n, 10), cutoff=CUTOFF)
    # Fewest keystrokes away first (B-1001 for B-1010 is one swap), then difflib's likeness.
    keys.sort(key=lambda k: (_distance(key, k), -difflib.SequenceMatcher(None, key, k).ratio(), k))
    return [name for k in keys for name in sorted(by_key[k])][:n]


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, change a character, swap two neighbours) that turn a into b."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] != b[j - 1]))
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]


def did_you_mean(names: list[str], prefix: str = "") -> str:
    """'Did you mean B-1001? ' or 'Did you mean B-1001 or B-1011? ', or '' for no names
    (in the current language)."""
    if not names:
        return ""
    shown = [f"{prefix}{n}" for n in names]
    listed = shown[0] if len(shown) == 1 else or_list([", ".join(shown[:-1]), shown[-1]])
    return _("Did you mean {names}?").format(names=listed) + " "


def near_numbers(no: int) -> list[int]:
    """Numbers one keystroke from `no` (a digit changed, dropped, added or two swapped): the
    candidates for a mistyped evidence number or seizure id, found without reading them all."""
    digits = str(no)
    out: set[str] = set()
    for i in range(len(digits)):
        out.add(digits[:i] + digits[i + 1:])
        for d in "0123456789":
            out.add(digits[:i] + d + digits[i + 1:])
        if i + 1 < len(digits):
            out.add(digits[:i] + digits[i + 1] + digits[i] + digits[i + 2:])
    for i in range(len(digits) + 1):
        for d in "0123456789":
            out.add(digits[:i] + d + digits[i:])
    return sorted({int(s) for s in out if s and 0 < int(s) < 2**31 and int(s) != no})
