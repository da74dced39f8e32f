"""Deprecated: use :mod:`tokencost.render`, :mod:`tokencost.money` and :mod:`tokencost._fs`."""

from ._fs import write_atomic
from .money import decimal_text
from .money import shown as money
from .render import FORMULA_PREFIXES, cell_text, csv_cell, plain, render_csv, render_json, render_table

__all__ = ["FORMULA_PREFIXES", "cell_text", "csv_cell", "decimal_text", "money", "plain", "render_csv",
           "render_json", "render_table", "write_atomic"]
