"""Money as exact ``Decimal``: exact text for files, readable text for people.  No I/O.

Amounts are never rounded while they are computed; they are rounded only to be shown, and
a non-zero amount is never shown as zero (it gets as many places as it needs).
"""

from __future__ import annotations

from decimal import Context, Decimal, DivisionByZero, Inexact, InvalidOperation, Overflow

#: Significant digits a shown amount keeps when it is smaller than a cent.
SHOWN_SIGNIFICANT = 2


def decimal_text(value: Decimal) -> str:
    """Exact positional notation without exponent or trailing zeros (``1E+3`` -> ``1000``, ``2.50`` -> ``2.5``)."""
    text = format(value, "f")  # never rounds (normalize() would round to the context's precision)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def shown(value: Decimal | None, places: int = 6) -> str:
    """Money for people: at most ``places`` decimals (at least 2), trailing zeros trimmed.

    An amount that would round to zero at ``places`` keeps its first significant digits instead
    (``0.00000005`` stays ``0.00000005``), so a real cost is never displayed as ``0.00``.
    """
    if value is None:
        return "-"
    q = value.quantize(Decimal(1).scaleb(-places))
    if q == 0 and value != 0:
        exponent = value.adjusted() - SHOWN_SIGNIFICANT + 1
        q = value.quantize(Decimal(1).scaleb(exponent))
    whole, _, frac = decimal_text(q).partition(".")
    return f"{whole}.{frac.ljust(2, '0')}"



#: The context money is computed in: wide enough for any bounded rate x tokens x requests, and any
#: result that would still need rounding raises instead of being rounded silently.
EXACT = Context(prec=80, traps=[InvalidOperation, DivisionByZero, Overflow, Inexact])
