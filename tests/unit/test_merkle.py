"""The RFC 6962 tree of log format 2: roots, proofs and their verifiers, against the RFC itself.

A naive reference written straight from RFC 6962 section 2.1 is the oracle for every size up to
64 and for random larger ones; published vectors pin the hashing to what other logs compute; and
each way a proof can be tampered with must be refused with its own error.
"""

from __future__ import annotations

import hashlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.log.merkle import (
    EMPTY_ROOT,
    LEAF_PREFIX,
    NODE_PREFIX,
    InconsistentTrees,
    IndexOutOfRange,
    NewRootMismatch,
    OldRootMismatch,
    ProofError,
    RightEdge,
    RootMismatch,
    SizeOutOfRange,
    Tree,
    WrongHashSize,
    WrongProofSize,
    hash_children,
    hash_leaf,
    leaf_commitment,
    root_of,
    verify_consistency,
    verify_inclusion,
)

# --- The reference: RFC 6962 section 2.1, transcribed as literally as Python allows ------------


def _sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def _k(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def ref_mth(d: list[bytes]) -> bytes:
    n = len(d)
    if n == 0:
        return _sha256(b"")
    if n == 1:
        return _sha256(b"\x00" + d[0])
    k = _k(n)
    return _sha256(b"\x01" + ref_mth(d[:k]) + ref_mth(d[k:]))


def ref_path(m: int, d: list[bytes]) -> list[bytes]:
    n = len(d)
    if n == 1:
        return []
    k = _k(n)
    if m < k:
        return ref_path(m, d[:k]) + [ref_mth(d[k:])]
    return ref_path(m - k, d[k:]) + [ref_mth(d[:k])]


def ref_proof(m: int, d: list[bytes]) -> list[bytes]:
    return ref_subproof(m, d, True)


def ref_subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [ref_mth(d)]
    k = _k(n)
    if m <= k:
        return ref_subproof(m, d[:k], b) + [ref_mth(d[k:])]
    return ref_subproof(m - k, d[k:], False) + [ref_mth(d[:k])]


# Distinct leaf data, so no two subtrees share a hash and every tampering shows.
DATA = [f"event {i}".encode() for i in range(4096)]
HASHES = [hash_leaf(d) for d in DATA]
BIG = Tree(HASHES)


# --- Published vectors ----------------------------------------------------------------------------
# From transparency-dev/merkle: testonly/constants.go (LeafInputs, NodeHashes, RootHashes,
# CompactTrees) and proof/verify_test.go (inclusionProofs, consistencyProofs), the RFC 6962
# vectors that Trillian and Tessera logs are tested against. Their inclusion vectors number
# leaves from 1; here indexes are 0-based.

VECTOR_LEAVES = [
    bytes.fromhex(""),
    bytes.fromhex("00"),
    bytes.fromhex("10"),
    bytes.fromhex("2021"),
    bytes.fromhex("3031"),
    bytes.fromhex("40414243"),
    bytes.fromhex("5051525354555657"),
    bytes.fromhex("606162636465666768696a6b6c6d6e6f"),
]
VECTOR_NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
VECTOR_ROOTS = [  # by tree size, 0 to 8
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
VECTOR_INCLUSION = [  # (index, size, proof)
    (0, 1, []),
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]
VECTOR_CONSISTENCY = [  # (old size, new size, proof)
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]

VECTOR_HASHES = [hash_leaf(leaf) for leaf in VECTOR_LEAVES]
VECTOR_TREE = Tree(VECTOR_HASHES)


def _unhex(hashes: list[str]) -> list[bytes]:
    return [bytes.fromhex(h) for h in hashes]


def test_prefixes_and_empty_root_are_rfc_6962():
    assert LEAF_PREFIX == b"\x00" and NODE_PREFIX == b"\x01"
    assert EMPTY_ROOT.hex() == VECTOR_ROOTS[0]
    assert hash_leaf(b"x") == _sha256(b"\x00x")
    assert hash_children(b"a" * 32, b"b" * 32) == _sha256(b"\x01" + b"a" * 32 + b"b" * 32)


def test_published_node_hashes():
    for level, nodes in enumerate(VECTOR_NODES):
        width = 1 << level
        for position, expected in enumerate(nodes):
            subtree = VECTOR_HASHES[position * width : (position + 1) * width]
            assert root_of(subtree).hex() == expected, (level, position)


@pytest.mark.parametrize("size", range(9))
def test_published_roots(size):
    expected = VECTOR_ROOTS[size]
    assert root_of(VECTOR_HASHES[:size]).hex() == expected
    assert VECTOR_TREE.root(size).hex() == expected
    assert Tree(VECTOR_HASHES[:size]).root().hex() == expected


@pytest.mark.parametrize("size", range(9))
def test_published_compact_trees(size):
    # CompactTrees: the right edge of each size is the perfect subtrees' roots, largest first.
    expected = {
        0: [],
        1: [VECTOR_NODES[0][0]],
        2: [VECTOR_NODES[1][0]],
        3: [VECTOR_NODES[1][0], VECTOR_NODES[0][2]],
        4: [VECTOR_NODES[2][0]],
        5: [VECTOR_NODES[2][0], VECTOR_NODES[0][4]],
        6: [VECTOR_NODES[2][0], VECTOR_NODES[1][2]],
        7: [VECTOR_NODES[2][0], VECTOR_NODES[1][2], VECTOR_NODES[0][6]],
        8: [VECTOR_NODES[3][0]],
    }[size]
    edge = RightEdge()
    for leaf_hash in VECTOR_HASHES[:size]:
        edge.append(leaf_hash)
    assert edge.to_text() == f"{size}:" + ",".join(expected)
    assert edge.root().hex() == VECTOR_ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), VECTOR_INCLUSION)
def test_published_inclusion_proofs(index, size, proof):
    proof = _unhex(proof)
    assert VECTOR_TREE.inclusion_proof(index, size) == proof
    verify_inclusion(VECTOR_HASHES[index], index, size, proof, bytes.fromhex(VECTOR_ROOTS[size]))


@pytest.mark.parametrize(("old", "new", "proof"), VECTOR_CONSISTENCY)
def test_published_consistency_proofs(old, new, proof):
    proof = _unhex(proof)
    assert VECTOR_TREE.consistency_proof(old, new) == proof
    verify_consistency(old, new, bytes.fromhex(VECTOR_ROOTS[old]), bytes.fromhex(VECTOR_ROOTS[new]), proof)


# --- Every small tree against the reference ------------------------------------------------------


@pytest.mark.parametrize("size", range(1, 65))
def test_small_trees_match_the_rfc(size):
    data = DATA[:size]
    tree = Tree(HASHES[:size])
    root = ref_mth(data)
    assert tree.root() == root == root_of(HASHES[:size]) == BIG.root(size)
    for index in range(size):
        proof = tree.inclusion_proof(index)
        assert proof == ref_path(index, data) == BIG.inclusion_proof(index, size)
        verify_inclusion(HASHES[index], index, size, proof, root)
    for old in range(1, size + 1):
        proof = tree.consistency_proof(old)
        assert proof == ref_proof(old, data) == BIG.consistency_proof(old, size)
        verify_consistency(old, size, ref_mth(data[:old]), root, proof)


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_larger_trees_match_the_rfc(data):
    size = data.draw(st.integers(65, len(DATA)), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    old = data.draw(st.integers(1, size), label="old")
    leaves = DATA[:size]
    root = ref_mth(leaves)
    assert BIG.root(size) == root
    proof = BIG.inclusion_proof(index, size)
    assert proof == ref_path(index, leaves)
    verify_inclusion(HASHES[index], index, size, proof, root)
    proof = BIG.consistency_proof(old, size)
    assert proof == ref_proof(old, leaves)
    verify_consistency(old, size, ref_mth(leaves[:old]), root, proof)


def test_a_tree_built_in_one_go_equals_one_grown_leaf_by_leaf():
    # Tree keeps only complete aligned subtrees; roots of every earlier size must still come out.
    assert [BIG.root(size) for size in range(0, 300)] == [root_of(HASHES[:size]) for size in range(0, 300)]


# --- Tampering: each must be refused with its own error ------------------------------------------


def _flip(proof: list[bytes], position: int, byte: int) -> list[bytes]:
    changed = bytearray(proof[position])
    changed[byte] ^= 0x08
    return proof[:position] + [bytes(changed)] + proof[position + 1 :]


inclusion_cases = st.integers(2, 2048).flatmap(lambda n: st.tuples(st.just(n), st.integers(0, n - 1)))


@settings(max_examples=150, deadline=None)
@given(inclusion_cases, st.data())
def test_inclusion_tampering_is_refused(case, data):
    size, index = case
    root = BIG.root(size)
    proof = BIG.inclusion_proof(index, size)
    leaf = HASHES[index]
    verify_inclusion(leaf, index, size, proof, root)

    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    byte = data.draw(st.integers(0, 31), label="byte")
    with pytest.raises(RootMismatch):
        verify_inclusion(leaf, index, size, _flip(proof, position, byte), root)
    with pytest.raises(RootMismatch):
        verify_inclusion(HASHES[index + 1 if index + 1 < size else 0], index, size, proof, root)
    with pytest.raises(RootMismatch):
        verify_inclusion(leaf, index, size, proof, BIG.root(size - 1))
    with pytest.raises(WrongProofSize):
        verify_inclusion(leaf, index, size, proof[:-1], root)
    for extra in (root, b"\x00" * 32, b""):
        with pytest.raises(WrongProofSize):
            verify_inclusion(leaf, index, size, [*proof, extra], root)
        with pytest.raises(WrongProofSize):
            verify_inclusion(leaf, index, size, [extra, *proof], root)

    other = data.draw(st.integers(0, 2 * size).filter(lambda i: i != index), label="other index")
    with pytest.raises(_expected_for(other, size, len(proof), otherwise=RootMismatch)):
        verify_inclusion(leaf, other, size, proof, root)


@settings(max_examples=150, deadline=None)
@given(inclusion_cases, st.data())
def test_inclusion_proof_binds_the_size_only_through_its_shape(case, data):
    # A proof's hashes depend on the size only through how many inner and border steps it
    # takes; two sizes with the same steps give the same chain. That is why a checkpoint
    # signs size and root together: a wrong size either fails here or changes nothing.
    size, index = case
    root = BIG.root(size)
    proof = BIG.inclusion_proof(index, size)
    other = data.draw(st.integers(0, 2 * size + 1).filter(lambda n: n != size), label="other size")
    expected = _expected_for(index, other, len(proof), otherwise=None)
    if expected is None:
        verify_inclusion(HASHES[index], index, other, proof, root)
    else:
        with pytest.raises(expected):
            verify_inclusion(HASHES[index], index, other, proof, root)


def _expected_for(index: int, size: int, proof_length: int, otherwise):
    if index >= size:
        return IndexOutOfRange
    if len(ref_path(index, [b""] * size)) != proof_length:
        return WrongProofSize
    return otherwise


consistency_cases = st.integers(3, 2048).flatmap(lambda n: st.tuples(st.integers(1, n - 1), st.just(n)))


@settings(max_examples=150, deadline=None)
@given(consistency_cases, st.data())
def test_consistency_tampering_is_refused(case, data):
    old, new = case
    old_root, new_root = BIG.root(old), BIG.root(new)
    proof = BIG.consistency_proof(old, new)
    verify_consistency(old, new, old_root, new_root, proof)

    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    byte = data.draw(st.integers(0, 31), label="byte")
    with pytest.raises(InconsistentTrees):
        verify_consistency(old, new, old_root, new_root, _flip(proof, position, byte))
    with pytest.raises(InconsistentTrees):
        verify_consistency(old, new, new_root, old_root, proof)
    # An old tree that is a perfect subtree is its own seed, so a wrong old root shows up
    # only when chained to the new root.
    with pytest.raises(NewRootMismatch if old & (old - 1) == 0 else OldRootMismatch):
        verify_consistency(old, new, BIG.root(old - 1), new_root, proof)
    with pytest.raises(NewRootMismatch):
        verify_consistency(old, new, old_root, BIG.root(new - 1), proof)
    with pytest.raises(WrongProofSize):
        verify_consistency(old, new, old_root, new_root, proof[:-1])
    with pytest.raises(WrongProofSize):
        verify_consistency(old, new, old_root, new_root, [])
    for extra in (old_root, new_root, proof[0], b""):
        with pytest.raises(WrongProofSize):
            verify_consistency(old, new, old_root, new_root, [*proof, extra])
        with pytest.raises(WrongProofSize):
            verify_consistency(old, new, old_root, new_root, [extra, *proof])

    # The old size is bound: no other old size accepts this proof and these roots.
    other_old = data.draw(st.integers(0, new + 1).filter(lambda m: m != old), label="other old size")
    with pytest.raises(ProofError):
        verify_consistency(other_old, new, old_root, new_root, proof)


def test_consistency_binds_the_old_size_exhaustively_for_small_trees():
    refused = 0
    for new in range(2, 65):
        new_root = BIG.root(new)
        for old in range(1, new):
            proof, old_root = BIG.consistency_proof(old, new), BIG.root(old)
            for other in range(0, new + 1):
                if other != old:
                    with pytest.raises(ProofError):
                        verify_consistency(other, new, old_root, new_root, proof)
                    refused += 1
    assert refused == sum(new * (new - 1) for new in range(2, 65))


@settings(max_examples=100, deadline=None)
@given(consistency_cases, st.data())
def test_consistency_proof_binds_the_new_size_only_through_its_shape(case, data):
    # As for inclusion: the checkpoint, not the proof, fixes the new size.
    old, new = case
    old_root, new_root = BIG.root(old), BIG.root(new)
    proof = BIG.consistency_proof(old, new)
    other = data.draw(st.integers(0, 2 * new).filter(lambda n: n != new), label="other new size")
    if other < old:
        expected = SizeOutOfRange
    elif other == old or len(ref_proof(old, [b""] * other)) != len(proof):
        expected = WrongProofSize
    else:
        expected = None
    if expected is None:
        verify_consistency(old, other, old_root, new_root, proof)
    else:
        with pytest.raises(expected):
            verify_consistency(old, other, old_root, new_root, proof)


# --- Edges of the verifiers ----------------------------------------------------------------------


def test_inclusion_outside_the_tree_names_index_and_size():
    with pytest.raises(IndexOutOfRange, match=r"leaf 8 is not in a tree of 8 leaves.*0 to 7"):
        verify_inclusion(VECTOR_HASHES[0], 8, 8, [], EMPTY_ROOT)
    with pytest.raises(IndexOutOfRange, match="empty tree"):
        verify_inclusion(VECTOR_HASHES[0], 0, 0, [], EMPTY_ROOT)
    with pytest.raises(IndexOutOfRange):
        verify_inclusion(VECTOR_HASHES[0], -1, 8, [], EMPTY_ROOT)


def test_single_leaf_tree_root_is_the_leaf_hash():
    verify_inclusion(VECTOR_HASHES[0], 0, 1, [], VECTOR_HASHES[0])
    with pytest.raises(RootMismatch):
        verify_inclusion(VECTOR_HASHES[0], 0, 1, [], VECTOR_HASHES[1])


@pytest.mark.parametrize(
    ("leaf", "root", "proof", "what"),
    [
        (b"", VECTOR_HASHES[0], [VECTOR_HASHES[1]], "the leaf hash"),
        (VECTOR_HASHES[0], VECTOR_ROOTS[2], [VECTOR_HASHES[1]], "the root"),
        (VECTOR_HASHES[0], bytes.fromhex(VECTOR_ROOTS[2]), [VECTOR_HASHES[1][:31]], "hash 0 of the inclusion proof"),
    ],
)
def test_inclusion_hashes_of_the_wrong_size_are_named(leaf, root, proof, what):
    with pytest.raises(WrongHashSize, match=f"^{what} is .*SHA-256"):
        verify_inclusion(leaf, 0, 2, proof, root)


def test_inclusion_proof_of_wrong_length_says_how_many_it_needs():
    with pytest.raises(WrongProofSize, match="has 2 hashes, but that position in the tree needs 3"):
        verify_inclusion(VECTOR_HASHES[0], 0, 8, _unhex(VECTOR_INCLUSION[1][2])[:2], bytes.fromhex(VECTOR_ROOTS[8]))


def test_consistency_from_the_empty_tree_needs_nothing_but_the_empty_root():
    verify_consistency(0, 8, EMPTY_ROOT, bytes.fromhex(VECTOR_ROOTS[8]), [])
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    with pytest.raises(OldRootMismatch):
        verify_consistency(0, 8, VECTOR_HASHES[0], bytes.fromhex(VECTOR_ROOTS[8]), [])
    with pytest.raises(WrongProofSize):
        verify_consistency(0, 8, EMPTY_ROOT, bytes.fromhex(VECTOR_ROOTS[8]), [VECTOR_HASHES[0]])
    assert VECTOR_TREE.consistency_proof(0) == []


def test_consistency_between_equal_sizes_needs_equal_roots_and_no_proof():
    root = bytes.fromhex(VECTOR_ROOTS[5])
    verify_consistency(5, 5, root, root, [])
    with pytest.raises(NewRootMismatch, match="from 5 to 5 leaves"):
        verify_consistency(5, 5, root, bytes.fromhex(VECTOR_ROOTS[6]), [])
    with pytest.raises(WrongProofSize):
        verify_consistency(5, 5, root, root, [root])


def test_consistency_refuses_a_shrinking_log():
    with pytest.raises(SizeOutOfRange, match="old tree size 8 is not between 0 and the new size 7"):
        verify_consistency(8, 7, bytes.fromhex(VECTOR_ROOTS[8]), bytes.fromhex(VECTOR_ROOTS[7]), [])


def test_consistency_roots_of_the_wrong_size_are_named():
    with pytest.raises(WrongHashSize, match="^the old root is a str"):
        verify_consistency(2, 5, VECTOR_ROOTS[2], bytes.fromhex(VECTOR_ROOTS[5]), [])
    with pytest.raises(WrongHashSize, match="^the new root is 31 bytes"):
        verify_consistency(2, 5, bytes.fromhex(VECTOR_ROOTS[2]), bytes.fromhex(VECTOR_ROOTS[5])[:31], [])


def test_consistency_proof_hashes_of_the_wrong_size_are_named():
    proof = _unhex(VECTOR_CONSISTENCY[3][2])
    proof[1] = proof[1][:31]
    with pytest.raises(WrongHashSize, match="^hash 1 of the consistency proof is 31 bytes"):
        verify_consistency(2, 5, bytes.fromhex(VECTOR_ROOTS[2]), bytes.fromhex(VECTOR_ROOTS[5]), proof)


def test_consistency_mismatches_name_sizes_and_roots():
    old_root, new_root = bytes.fromhex(VECTOR_ROOTS[6]), bytes.fromhex(VECTOR_ROOTS[8])
    proof = _unhex(VECTOR_CONSISTENCY[2][2])
    with pytest.raises(
        OldRootMismatch, match=f"from 6 to 8 leaves rebuilds old root {old_root.hex()}, not {VECTOR_ROOTS[5]}"
    ) as err:
        verify_consistency(6, 8, bytes.fromhex(VECTOR_ROOTS[5]), new_root, proof)
    assert isinstance(err.value, InconsistentTrees) and isinstance(err.value, ValueError)
    assert err.value.calculated == old_root
    with pytest.raises(NewRootMismatch, match=f"reaches new root {new_root.hex()}"):
        verify_consistency(6, 8, old_root, bytes.fromhex(VECTOR_ROOTS[7]), proof)


def test_proof_errors_are_value_errors_with_one_base():
    for error in (IndexOutOfRange, SizeOutOfRange, WrongHashSize, WrongProofSize, RootMismatch, InconsistentTrees):
        assert issubclass(error, ProofError) and issubclass(error, ValueError)


# --- Tree: sizes and indexes it does not hold --------------------------------------------------


def test_tree_refuses_sizes_and_indexes_beyond_its_leaves():
    with pytest.raises(SizeOutOfRange, match="tree size 9 is not between 0 and the 8 leaves held"):
        VECTOR_TREE.root(9)
    with pytest.raises(SizeOutOfRange):
        VECTOR_TREE.inclusion_proof(0, 9)
    with pytest.raises(SizeOutOfRange):
        VECTOR_TREE.consistency_proof(3, -1)
    with pytest.raises(IndexOutOfRange):
        VECTOR_TREE.inclusion_proof(5, 5)
    with pytest.raises(SizeOutOfRange, match="a log only grows"):
        VECTOR_TREE.consistency_proof(6, 5)
    with pytest.raises(WrongHashSize, match="^leaf hash 1 is 3 bytes"):
        Tree([VECTOR_HASHES[0], b"abc"])


def test_empty_tree():
    tree = Tree([])
    assert tree.size == 0 and tree.root() == EMPTY_ROOT == root_of([])
    assert tree.consistency_proof(0) == []
    with pytest.raises(IndexOutOfRange):
        tree.inclusion_proof(0)


# --- RightEdge --------------------------------------------------------------------------------


def test_right_edge_equals_root_of_at_every_size_and_round_trips():
    edge = RightEdge()
    assert edge.root() == EMPTY_ROOT and edge.to_text() == "0:"
    for size in range(1, 600):
        edge.append(HASHES[size - 1])
        assert edge.size == size
        assert edge.root() == BIG.root(size)
        text = edge.to_text()
        again = RightEdge.from_text(text)
        assert again == edge and again.to_text() == text and again.size == size
        assert len(text.split(":")[1].split(",")) == size.bit_count()
    # A restored edge goes on growing as if it had never been written out.
    restored = RightEdge.from_text(edge.to_text())
    for leaf_hash in HASHES[599:700]:
        restored.append(leaf_hash)
    assert restored.root() == BIG.root(700)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.binary(min_size=32, max_size=32), max_size=200))
def test_right_edge_matches_the_reference_on_any_hashes(leaf_hashes):
    edge = RightEdge()
    for leaf_hash in leaf_hashes:
        edge.append(leaf_hash)
    assert edge.root() == root_of(leaf_hashes) == Tree(leaf_hashes).root()


GOOD_EDGE = "3:" + VECTOR_NODES[1][0] + "," + VECTOR_NODES[0][2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "does not start with a tree size"),
        ("3", "does not start with a tree size"),
        ("-3:" + VECTOR_NODES[1][0], "does not start with a tree size"),
        ("３:" + VECTOR_NODES[1][0], "does not start with a tree size"),
        ("3:" + VECTOR_NODES[1][0], "lists 1 subtree hashes, but that size needs 2"),
        ("0:" + VECTOR_NODES[1][0], "lists 1 subtree hashes, but that size needs 0"),
        (GOOD_EDGE + ",", "lists 3 subtree hashes"),
        (GOOD_EDGE.upper(), "lowercase hexadecimal"),
        (GOOD_EDGE[:-1], "lowercase hexadecimal"),
        (GOOD_EDGE[:-1] + "g", "not hexadecimal"),
        (GOOD_EDGE[:-1] + "é", "lowercase hexadecimal"),
    ],
)
def test_right_edge_text_that_was_cut_or_edited_is_refused(text, message):
    assert RightEdge.from_text(GOOD_EDGE).root().hex() == VECTOR_ROOTS[3]
    with pytest.raises(ValueError, match=message):
        RightEdge.from_text(text)


def test_right_edge_refuses_a_leaf_hash_of_the_wrong_size():
    edge = RightEdge()
    with pytest.raises(WrongHashSize, match="^the leaf hash is 33 bytes"):
        edge.append(b"\x00" * 33)
    assert edge.size == 0


# --- Leaf commitments ----------------------------------------------------------------------------


def test_leaf_commitment_hashes_salt_then_body_as_a_leaf():
    salt = bytes(range(32))
    body = b'{"seq":1}'
    assert leaf_commitment(salt, body) == _sha256(b"\x00" + salt + body) == hash_leaf(salt + body)
    assert leaf_commitment(bytes(32), body) != leaf_commitment(salt, body)


@pytest.mark.parametrize("length", [0, 16, 31, 33])
def test_leaf_commitment_refuses_a_salt_not_32_bytes(length):
    with pytest.raises(ValueError, match=f"salt is {length} bytes, not 32"):
        leaf_commitment(bytes(length), b"{}")


def test_random_trees_with_repeated_leaves_still_prove():
    # Equal leaves (two identical events, in principle) must not confuse proof making.
    rng = random.Random(6962)
    leaf_hashes = [hash_leaf(bytes([rng.randrange(3)])) for _ in range(100)]
    tree = Tree(leaf_hashes)
    for size in (1, 37, 64, 100):
        root = tree.root(size)
        for index in range(size):
            verify_inclusion(leaf_hashes[index], index, size, tree.inclusion_proof(index, size), root)
        for old in range(size + 1):
            verify_consistency(old, size, tree.root(old), root, tree.consistency_proof(old, size))
