"""How big an audit sample is and which items it holds: pure functions of stated inputs, so
the replay (and an auditor's own program, see docs/FORMAT.md) draws the very same sample.

The size for a confidence and a tolerance is the hypergeometric discovery-sampling size: the
smallest n such that, were `tolerance` percent of the population missing, a sample of n would
miss every one of them with probability at most 100 - `confidence` percent. Computed with
integers, never floats, so every platform gets the same n.
"""

from __future__ import annotations

import hashlib


def defects_tolerated(population: int, tolerance: int) -> int:
    """Items out of place the audit must be able to detect: tolerance % of the population,
    rounded up, at least one."""
    return max(1, -(-population * tolerance // 100))


def sample_size(population: int, confidence: int, tolerance: int) -> int:
    """The hypergeometric sample size (see the module docstring); the whole population when no
    smaller sample reaches the confidence."""
    if population <= 0:
        return 0
    defects = defects_tolerated(population, tolerance)
    # P(no defect in n draws) = prod_{i<n} (N - D - i) / (N - i); compared exactly as fractions.
    num = den = 1
    for n in range(1, population + 1):
        num *= population - defects - (n - 1)
        den *= population - (n - 1)
        if num * 100 <= den * (100 - confidence):
            return n
    return population


def draw_key(seed: bytes, item_id: str) -> bytes:
    return hashlib.sha256(seed + item_id.encode("ascii")).digest()


def draw_sample(seed_hex: str, population: list[str], n: int) -> list[str]:
    """The n items whose SHA-256(seed || evidence id) are smallest, in evidence-number order.
    `seed_hex` is the log's root just after the audit-start event (64 hex digits)."""
    seed = bytes.fromhex(seed_hex)
    drawn = sorted(population, key=lambda item: draw_key(seed, item))[:n]
    return sorted(drawn, key=lambda item: int(item.split("-", 1)[1]))
