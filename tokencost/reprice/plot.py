"""Cost per month by model, with the what-if totals beside it (matplotlib, the ``plot`` extra)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from .._fs import save_figure
from ..errors import BadInputError, TokencostError
from .result import Repricing


def plot_repricing(result: Repricing, path: str) -> None:
    """A PNG: stacked monthly cost by model (left) and the total against each what-if (right)."""
    if "month" not in result.group_by or "model" not in result.group_by:
        raise BadInputError("a plot needs groups by model and month; group by model,month (plus any others)")
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise TokencostError("plots need matplotlib: pip install 'tokencost[plot]'") from None
    cost: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for g in result.groups:
        if g.total_cost is not None:
            cost[str(g.key["model"])][str(g.key["month"])[:7]] += g.total_cost
    months = sorted({m for per in cost.values() for m in per})
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [2.2, 1]})
    bottom = [0.0] * len(months)
    for model in sorted(cost, key=lambda k: -sum(cost[k].values())):
        heights = [float(cost[model].get(m, 0)) for m in months]  # display only; money stays Decimal elsewhere
        left.bar(months, heights, bottom=bottom, label=model)
        bottom = [b + h for b, h in zip(bottom, heights)]
    from matplotlib.ticker import FuncFormatter

    dollars = FuncFormatter(_dollars)
    left.yaxis.set_major_formatter(dollars)
    left.set_ylabel("cost per month (USD, list prices)")
    left.set_title("Repriced cost per month, by model")
    left.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    labels = ["repriced"] + [w.model + (" ~" if w.approximate else "") for w in result.what_if]
    totals = [float(result.total_cost)] + [float(w.total_cost) for w in result.what_if]
    right.bar(range(len(labels)), totals)
    right.set_xticks(range(len(labels)), labels, rotation=30, ha="right", fontsize="small")
    right.yaxis.set_major_formatter(dollars)
    right.set_title("Total vs what-if\n(~ approximate counts)", fontsize="medium")
    fig.tight_layout()
    save_figure(fig, path, dpi=100)
    plt.close(fig)


def _dollars(value: float, _pos: int) -> str:
    """Axis labels in human units: $12, $3.4k, $1.2M."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"${value / size:,.3g}{suffix}"
    return f"${value:,.2f}" if abs(value) < 10 else f"${value:,.0f}"
