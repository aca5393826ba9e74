"""Billing services: ledgers (ledger.py), VAT and totals (vat.py), numbering (numbering.py) and
documents (documents.py). Callers import from the submodules."""
