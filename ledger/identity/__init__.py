"""Officers' and auditors' keys: Ed25519 key pairs kept in passphrase-protected files."""
