"""The log format: commitments, the Merkle tree, checkpoints and proofs."""
