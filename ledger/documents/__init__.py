"""Paper for courts and evidence rooms: the chain-of-custody form and evidence labels (PDF).

Each document is gathered first as plain dataclasses from the ledger, then drawn. The PDF and
QR libraries are imported only inside the drawing functions, so the command line starts fast.
"""
