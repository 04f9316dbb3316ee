"""The RFC 6962 Merkle tree over the log's events, and the checks of its proofs.

Log format 2 commits each event as a leaf of this tree, so that a checkpoint (size and root)
proves a whole history, an inclusion proof shows one event is in it, and a consistency proof
shows a later log only grew. Pure hashing: no database, so an auditor's verifier can reuse it.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

# RFC 6962 section 2.1: distinct prefixes keep a leaf from ever passing for an inner node.
LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
EMPTY_ROOT = sha256(b"").digest()
HASH_SIZE = 32
SALT_SIZE = 32


def hash_leaf(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf."""
    return sha256(LEAF_PREFIX + data).digest()


def hash_children(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an inner node."""
    return sha256(NODE_PREFIX + left + right).digest()


def leaf_commitment(salt: bytes, body: bytes) -> bytes:
    """The leaf hash of an event body behind its salt.

    The salt is secret until disclosed, so publishing a leaf hash, or a proof that names
    sibling hashes, reveals nothing about another case's events.
    """
    if len(salt) != SALT_SIZE:
        raise ValueError(
            f"a leaf commitment's salt is {len(salt)} bytes, not {SALT_SIZE}; "
            f"draw a fresh one with secrets.token_bytes({SALT_SIZE})"
        )
    return sha256(LEAF_PREFIX + salt + body).digest()


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The RFC 6962 Merkle tree hash (MTH) over leaves that are already hashed."""
    edge = RightEdge()
    for leaf_hash in leaf_hashes:
        edge.append(leaf_hash)
    return edge.root()


# --- Errors -----------------------------------------------------------------------------------


class ProofError(ValueError):
    """A proof, or the sizes and hashes given with it, does not check out."""


class IndexOutOfRange(ProofError):
    """The leaf index is not below the tree size."""

    def __init__(self, index: int, size: int):
        self.index = index
        self.size = size
        super().__init__(
            f"leaf {index} is not in a tree of {size} leaves, whose leaves are numbered "
            f"0 to {size - 1}; check the leaf index against the checkpoint's tree size"
            if size > 0
            else f"leaf {index} is not in an empty tree; an inclusion proof needs a checkpoint of at least one leaf"
        )


class SizeOutOfRange(ProofError):
    """A tree size is negative, beyond the leaves at hand, or an old size exceeds the new."""

    def __init__(self, message: str, size: int):
        self.size = size
        super().__init__(message)


class WrongHashSize(ProofError):
    """A leaf hash, root or proof hash is not a 32-byte SHA-256 digest."""

    def __init__(self, what: str, value: object):
        self.what = what
        shape = f"{len(value)} bytes" if isinstance(value, bytes | bytearray) else f"a {type(value).__name__}"
        super().__init__(
            f"{what} is {shape}, not the {HASH_SIZE} bytes of a SHA-256 hash; pass the raw digest, "
            "not its hexadecimal text"
        )


class WrongProofSize(ProofError):
    """The proof has more or fewer hashes than its leaf index and tree sizes call for."""

    def __init__(self, what: str, got: int, want: int):
        self.got = got
        self.want = want
        super().__init__(
            f"{what} has {got} hashes, but that position in the tree needs {want}; "
            "the proof was made for another leaf or tree size, so ask for it again with these"
        )


class RootMismatch(ProofError):
    """An inclusion proof does not lead from the leaf to the expected root."""

    def __init__(self, index: int, size: int, calculated: bytes, expected: bytes):
        self.index = index
        self.size = size
        self.calculated = calculated
        self.expected = expected
        super().__init__(
            f"the inclusion proof for leaf {index} leads to root {calculated.hex()}, not to root "
            f"{expected.hex()} of the tree of {size} leaves; the leaf, the proof or the checkpoint "
            "is not the one recorded"
        )


class InconsistentTrees(ProofError):
    """A consistency proof does not show the new tree to extend the old one."""

    def __init__(self, message: str, old_size: int, new_size: int, calculated: bytes, expected: bytes):
        self.old_size = old_size
        self.new_size = new_size
        self.calculated = calculated
        self.expected = expected
        super().__init__(message)


class OldRootMismatch(InconsistentTrees):
    """The consistency proof does not rebuild the old checkpoint's root."""

    def __init__(self, old_size: int, new_size: int, calculated: bytes, expected: bytes):
        super().__init__(
            f"the consistency proof from {old_size} to {new_size} leaves rebuilds old root "
            f"{calculated.hex()}, not {expected.hex()}; either the first {old_size} leaves were "
            "rewritten or the old checkpoint or the proof is not the one recorded",
            old_size,
            new_size,
            calculated,
            expected,
        )


class NewRootMismatch(InconsistentTrees):
    """The consistency proof, from the old root, does not reach the new checkpoint's root."""

    def __init__(self, old_size: int, new_size: int, calculated: bytes, expected: bytes):
        super().__init__(
            f"the consistency proof from {old_size} to {new_size} leaves reaches new root "
            f"{calculated.hex()}, not {expected.hex()}; the new checkpoint does not extend the old "
            "one, or the proof is not the one recorded",
            old_size,
            new_size,
            calculated,
            expected,
        )


# --- The right edge: appending in O(log n) ------------------------------------------------------


class RightEdge:
    """The roots of the perfect subtrees along the tree's right edge, largest first.

    A tree of size n is the concatenation of perfect subtrees, one per set bit of n; keeping
    only their roots is enough to append the next leaf and to compute the tree's root.
    """

    __slots__ = ("size", "_hashes")

    def __init__(self) -> None:
        self.size = 0
        self._hashes: list[bytes] = []

    def append(self, leaf_hash: bytes) -> None:
        if len(leaf_hash) != HASH_SIZE:
            raise WrongHashSize("the leaf hash", leaf_hash)
        hashes = self._hashes
        node = leaf_hash
        # Each trailing one bit of the old size is a perfect subtree the new leaf now completes.
        carry = self.size
        while carry & 1:
            node = sha256(NODE_PREFIX + hashes.pop() + node).digest()
            carry >>= 1
        hashes.append(node)
        self.size += 1

    def root(self) -> bytes:
        hashes = self._hashes
        if not hashes:
            return EMPTY_ROOT
        node = hashes[-1]
        for left in reversed(hashes[:-1]):
            node = hash_children(left, node)
        return node

    def to_text(self) -> str:
        """`SIZE:HEX,HEX,...`, the subtree roots largest first (`0:` for the empty tree)."""
        return f"{self.size}:" + ",".join(h.hex() for h in self._hashes)

    @classmethod
    def from_text(cls, text: str) -> RightEdge:
        size_text, colon, hashes_text = text.partition(":")
        if not colon or not (size_text.isascii() and size_text.isdigit()):
            raise ValueError(
                f"right edge {text[:40]!r} does not start with a tree size and a colon; "
                "expected SIZE:HEX,HEX,... as written by RightEdge.to_text"
            )
        size = int(size_text)
        parts = hashes_text.split(",") if hashes_text else []
        if len(parts) != size.bit_count():
            raise ValueError(
                f"right edge of size {size} lists {len(parts)} subtree hashes, but that size needs "
                f"{size.bit_count()}, one per set bit; the text was cut or edited"
            )
        hashes = []
        for part in parts:
            if len(part) != 2 * HASH_SIZE or part != part.lower() or not part.isascii():
                raise ValueError(
                    f"right edge hash {part[:70]!r} is not {2 * HASH_SIZE} lowercase hexadecimal digits; "
                    "the text was cut or edited"
                )
            try:
                hashes.append(bytes.fromhex(part))
            except ValueError:
                raise ValueError(f"right edge hash {part!r} is not hexadecimal; the text was cut or edited") from None
        edge = cls()
        edge.size = size
        edge._hashes = hashes
        return edge

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RightEdge):
            return NotImplemented
        return self.size == other.size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"RightEdge.from_text({self.to_text()!r})"


# --- The whole tree: proofs for any earlier size ------------------------------------------------


def _split(width: int) -> int:
    """The largest power of two strictly below width (RFC 6962's k), for width >= 2."""
    return 1 << ((width - 1).bit_length() - 1)


class Tree:
    """Every perfect, aligned subtree hash of a tree, kept so each proof costs O(log n).

    Level k holds the roots of the subtrees of 2**k leaves that start at multiples of 2**k.
    Every node of the RFC 6962 tree of any size up to n is either one of them or a right-edge
    node, which is folded from O(log n) of them.
    """

    __slots__ = ("_levels",)

    def __init__(self, leaf_hashes: Sequence[bytes]):
        level = list(leaf_hashes)
        for position, leaf_hash in enumerate(level):
            if len(leaf_hash) != HASH_SIZE:
                raise WrongHashSize(f"leaf hash {position}", leaf_hash)
        levels = [level]
        while len(level) > 1:
            # An odd last node has no partner yet: it is not a perfect subtree one level up.
            pairs = zip(level[0::2], level[1::2], strict=False)
            level = [sha256(NODE_PREFIX + left + right).digest() for left, right in pairs]
            levels.append(level)
        self._levels = levels

    @property
    def size(self) -> int:
        return len(self._levels[0])

    def _check_size(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 0 <= size <= self.size:
            raise SizeOutOfRange(
                f"tree size {size} is not between 0 and the {self.size} leaves held; ask for a size up to {self.size}",
                size,
            )
        return size

    def _subtree(self, start: int, end: int) -> bytes:
        # start is a multiple of a power of two at least end - start, as for every node of an
        # RFC 6962 tree, so each left part split off is perfect and aligned, hence stored.
        lefts = []
        width = end - start
        while width & (width - 1):
            split = _split(width)
            level = split.bit_length() - 1
            lefts.append(self._levels[level][start >> level])
            start += split
            width -= split
        level = width.bit_length() - 1
        node = self._levels[level][start >> level]
        for left in reversed(lefts):
            node = hash_children(left, node)
        return node

    def root(self, size: int | None = None) -> bytes:
        size = self._check_size(size)
        return self._subtree(0, size) if size else EMPTY_ROOT

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 6962 section 2.1.1 PATH(index, D[0:size]), the sibling nearest the leaf first."""
        size = self._check_size(size)
        if not 0 <= index < size:
            raise IndexOutOfRange(index, size)
        path = []
        start, end = 0, size
        # Walking down from the root, at most one sibling (the first right one) is off the
        # perfect subtrees; below it everything is perfect, so the walk stays O(log n).
        while end - start > 1:
            middle = start + _split(end - start)
            if index < middle:
                path.append(self._subtree(middle, end))
                end = middle
            else:
                path.append(self._subtree(start, middle))
                start = middle
        path.reverse()
        return path

    def consistency_proof(self, old_size: int, new_size: int | None = None) -> list[bytes]:
        """RFC 6962 section 2.1.2 PROOF(old_size, D[0:new_size]); empty when there is nothing to prove."""
        new_size = self._check_size(new_size)
        if not 0 <= old_size <= new_size:
            raise SizeOutOfRange(
                f"old tree size {old_size} is not between 0 and the new size {new_size}; "
                "a log only grows, so give the older checkpoint's size first",
                old_size,
            )
        if old_size in (0, new_size):
            return []
        proof = []
        start, end, old_here = 0, new_size, old_size
        # RFC 6962's flag b: while the old tree is a left part of this node, its root is
        # known to the verifier and is left out of the proof.
        old_root_known = True
        while old_here != end - start:
            split = _split(end - start)
            middle = start + split
            if old_here <= split:
                proof.append(self._subtree(middle, end))
                end = middle
            else:
                proof.append(self._subtree(start, middle))
                start = middle
                old_here -= split
                old_root_known = False
        if not old_root_known:
            proof.append(self._subtree(start, end))
        proof.reverse()
        return proof


# --- Verifying proofs (RFC 9162 sections 2.1.3.2 and 2.1.4.2) -----------------------------------


def _check_hash(what: str, value: object) -> None:
    if not isinstance(value, bytes | bytearray) or len(value) != HASH_SIZE:
        raise WrongHashSize(what, value)


def _check_proof_hashes(what: str, proof: Sequence[bytes]) -> None:
    for position, value in enumerate(proof):
        _check_hash(f"hash {position} of the {what}", value)


def _decompose_inclusion(index: int, size: int) -> tuple[int, int]:
    """Split the proof for leaf index in a tree of size where its path leaves the right edge.

    The inner part runs from the leaf up to where the paths to index and to size - 1 meet;
    the border part runs up the right edge, one hash per left sibling along it.
    """
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Hash up through the inner part, each sibling on the side the index's bit says."""
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = hash_children(sibling, seed)
        else:
            seed = hash_children(seed, sibling)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    """Like _chain_inner, but only through left siblings: the same subtree before it grew."""
    for level, sibling in enumerate(proof):
        if (index >> level) & 1:
            seed = hash_children(sibling, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    """Hash up the right edge, where every sibling is a left one."""
    for sibling in proof:
        seed = hash_children(sibling, seed)
    return seed


def _trailing_zeros(number: int) -> int:
    return (number & -number).bit_length() - 1


def verify_inclusion(leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes) -> None:
    """Check that leaf_hash is leaf `index` of the tree of `size` leaves whose root is `root`.

    Returns nothing; raises a ProofError subclass naming what did not match.
    """
    if not 0 <= index < size:
        raise IndexOutOfRange(index, size)
    _check_hash("the leaf hash", leaf_hash)
    _check_hash("the root", root)
    inner, border = _decompose_inclusion(index, size)
    if len(proof) != inner + border:
        raise WrongProofSize(f"the inclusion proof for leaf {index} of {size}", len(proof), inner + border)
    _check_proof_hashes("inclusion proof", proof)
    calculated = _chain_inner(leaf_hash, proof[:inner], index)
    calculated = _chain_border_right(calculated, proof[inner:])
    if calculated != root:
        raise RootMismatch(index, size, calculated, root)


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> None:
    """Check that the tree of new_size leaves with new_root extends the one of old_size with old_root.

    Returns nothing; raises a ProofError subclass naming what did not match.
    """
    if not 0 <= old_size <= new_size:
        raise SizeOutOfRange(
            f"old tree size {old_size} is not between 0 and the new size {new_size}; "
            "a log only grows, so give the older checkpoint first",
            old_size,
        )
    _check_hash("the old root", old_root)
    _check_hash("the new root", new_root)
    what = f"the consistency proof from {old_size} to {new_size} leaves"
    if old_size == new_size or old_size == 0:
        # Nothing to prove beyond the roots themselves: equal trees, or growth from nothing.
        if proof:
            raise WrongProofSize(what, len(proof), 0)
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise OldRootMismatch(old_size, new_size, EMPTY_ROOT, old_root)
        if old_size == new_size and new_root != old_root:
            raise NewRootMismatch(old_size, new_size, old_root, new_root)
        return

    # The proof is, in effect, the inclusion proof of leaf old_size - 1 in the new tree,
    # starting from the largest perfect subtree that ends the old tree.
    inner, border = _decompose_inclusion(old_size - 1, new_size)
    shift = _trailing_zeros(old_size)
    inner -= shift
    old_is_perfect = old_size == 1 << shift
    want = inner + border + (0 if old_is_perfect else 1)
    if len(proof) != want:
        raise WrongProofSize(what, len(proof), want)
    _check_proof_hashes("consistency proof", proof)
    # When the old tree is itself a perfect subtree, its root is that subtree's hash, and
    # the proof leaves it out.
    seed, path = (old_root, proof) if old_is_perfect else (proof[0], proof[1:])
    mask = (old_size - 1) >> shift

    old_calculated = _chain_inner_right(seed, path[:inner], mask)
    old_calculated = _chain_border_right(old_calculated, path[inner:])
    if old_calculated != old_root:
        raise OldRootMismatch(old_size, new_size, old_calculated, old_root)

    new_calculated = _chain_inner(seed, path[:inner], mask)
    new_calculated = _chain_border_right(new_calculated, path[inner:])
    if new_calculated != new_root:
        raise NewRootMismatch(old_size, new_size, new_calculated, new_root)
