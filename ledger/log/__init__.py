"""The log format: commitments, tree, checkpoints, proofs."""
