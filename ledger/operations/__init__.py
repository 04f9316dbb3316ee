"""Evidence-room operations: inventory audits, and what is due for action."""
