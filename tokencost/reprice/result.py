"""What a repricing returns: totals, groups, what-if totals, unpriced and malformed rows, notes."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

#: Billed and repriced differing by more than this share is flagged.
RECONCILE_TOLERANCE = Decimal("0.01")


@dataclass
class Group:
    """Totals of one group (its ``key`` maps each group-by name to a value)."""

    key: dict[str, Any]
    rows: int
    requests: int
    input_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    output_tokens: int
    reasoning_tokens: int
    input_cost: Decimal
    cache_read_cost: Decimal
    cache_write_cost: Decimal
    output_cost: Decimal
    total_cost: Decimal
    billed_cost: Decimal | None
    first: dt.datetime | None
    last: dt.datetime | None
    unpriced_rows: int = 0
    #: repriced cost of the rows that carry a billed cost (what ``billed_cost`` is compared with)
    repriced_of_billed: Decimal | None = None
    flag: str | None = None
    #: what makes this group's figure less than exact (aggregated rows of a tiered model, ...)
    notes: list[str] = field(default_factory=list)


@dataclass
class Unpriced:
    """Rows that could not be priced: never counted as $0."""

    model: str
    provider: str | None
    reason: str
    rows: int
    input_tokens: int
    output_tokens: int


@dataclass
class WhatIf:
    model: str
    as_of: dt.date
    total_cost: Decimal
    approximate: bool
    basis: str
    unpriced_rows: int = 0
    notes: list[str] = field(default_factory=list)
    #: self-hosted what-ifs: the deployment the plan chose, its monthly cost, the hours priced
    deployment: str | None = None
    monthly_cost: Decimal | None = None
    period_hours: int | None = None


@dataclass
class Repricing:
    """The result of :func:`tokencost.reprice.reprice`.  Money is exact USD ``Decimal``."""

    total_cost: Decimal
    billed_cost: Decimal | None
    groups: list[Group]
    what_if: list[WhatIf]
    unpriced: list[Unpriced]
    malformed: int
    malformed_by_reason: dict[str, int]
    malformed_examples: list[tuple[str, int, str]]
    group_by: tuple[str, ...]
    rows: int
    engine: str
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready document (money stays ``Decimal``; :func:`tokencost.render.plain` makes it text)."""
        return {
            "total_cost": self.total_cost,
            "billed_cost": self.billed_cost,
            "currency": "USD",
            "rows": self.rows,
            "engine": self.engine,
            "group_by": list(self.group_by),
            "groups": [_group_dict(g) for g in self.groups],
            "what_if": [
                {
                    "model": w.model,
                    "as_of": w.as_of,
                    "total_cost": w.total_cost,
                    "approximate": w.approximate,
                    "basis": w.basis,
                    "unpriced_rows": w.unpriced_rows,
                    "notes": w.notes,
                    **(
                        {"deployment": w.deployment, "monthly_cost": w.monthly_cost, "period_hours": w.period_hours}
                        if w.deployment is not None
                        else {}
                    ),
                }
                for w in self.what_if
            ],
            "unpriced": [vars(u) for u in self.unpriced],
            "malformed": {
                "rows": self.malformed,
                "by_reason": self.malformed_by_reason,
                "examples": [{"file": f, "line": n, "reason": r} for f, n, r in self.malformed_examples],
            },
            "notes": self.notes,
        }

    def to_dataframe(self):
        """One row per group (money columns hold ``Decimal``)."""
        import pandas as pd

        return pd.DataFrame([_group_dict(g) for g in self.groups])

    def focus_rows(self) -> list[dict[str, Any]]:
        """Rows with FOCUS-aligned column names (https://focus.finops.org), one per group."""
        out = []
        for g in self.groups:
            if g.total_cost is None:
                continue  # nothing priced: listed below as unpriced, never as a $0 charge
            key = g.key
            model = key.get("model")
            tokens = g.input_tokens + g.output_tokens
            row = {
                "ChargePeriodStart": g.first,
                "ChargePeriodEnd": g.last,
                "ProviderName": (model or "").split(":")[0] or key.get("provider"),
                "ResourceId": model,
                "ChargeCategory": "Usage",
                "ChargeDescription": "LLM tokens repriced at list rates",
                "ConsumedQuantity": tokens,
                "ConsumedUnit": "Tokens",
                "PricingUnit": "1M Tokens",
                "PricingQuantity": Decimal(tokens) / 1_000_000,
                "ListCost": g.total_cost,
                "BilledCost": g.billed_cost,
                "BillingCurrency": "USD",
            }
            for name, value in key.items():
                if name != "model":
                    row[f"x_{name}"] = value
            row["x_Requests"] = g.requests
            row["x_UnpricedRows"] = g.unpriced_rows
            row["x_Unpriced"] = None
            row["x_Notes"] = "; ".join(g.notes) or None
            out.append(row)
        keys = [k for k in (out[0] if out else {}) if k.startswith("x_") and k not in ("x_Requests",)]
        for u in self.unpriced:
            row = {
                "ChargePeriodStart": None,
                "ChargePeriodEnd": None,
                "ProviderName": u.provider,
                "ResourceId": u.model,
                "ChargeCategory": "Usage",
                "ChargeDescription": "not priced",
                "ConsumedQuantity": u.input_tokens + u.output_tokens,
                "ConsumedUnit": "Tokens",
                "PricingUnit": "1M Tokens",
                "PricingQuantity": None,
                "ListCost": None,
                "BilledCost": None,
                "BillingCurrency": "USD",
                **{k: None for k in keys},
                "x_Requests": None,
                "x_UnpricedRows": u.rows,
                "x_Unpriced": u.reason,
                "x_Notes": None,
            }
            out.append(row)
        return out


def _group_dict(g: Group) -> dict[str, Any]:
    d = dict(g.key)
    d.update({k: v for k, v in vars(g).items() if k != "key"})
    return d
