"""Exported spreadsheet cells (CSV and XLSX of every list): text a spreadsheet would run as a
formula (CSV injection) gets a leading quote, so it is shown as typed."""

from __future__ import annotations

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def unformula(text: str) -> str:
    """`text` as a spreadsheet shows it verbatim: a leading quote when it would start a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text
