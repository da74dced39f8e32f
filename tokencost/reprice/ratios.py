"""Token-count ratios between tokenizers, for what-if repricing when the log holds only counts.

Between models sharing a tokenizer the counts carry over exactly.  Otherwise a count is scaled by
``tokens(target tokenizer) / tokens(source tokenizer)`` measured on one documented corpus with the
tokenizers tokencost ships (``tokenizer_ratios.toml``: the corpus files with their SHA-256, each
tokenizer's count and the date).  A scaled count is approximate: text differs from the corpus,
and ``approx:*`` tokenizers are estimates themselves.  Re-measure with :func:`measure`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tomllib
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from ..errors import BadInputError

DATA = Path(__file__).with_name("tokenizer_ratios.toml")
RATIO_PLACES = Decimal("0.000001")


@lru_cache(maxsize=1)
def _data() -> dict:
    with open(DATA, "rb") as fh:
        return tomllib.load(fh, parse_float=Decimal)


def ratio(source: str, target: str) -> tuple[Decimal, str]:
    """``(multiplier, basis)`` turning a ``source``-tokenizer count into a ``target`` one."""
    if source == target:
        return Decimal(1), "same tokenizer"
    counts = _data()["counts"]
    if source not in counts or target not in counts:
        raise BadInputError(
            f"no measured token ratio between {source!r} and {target!r}; "
            f"re-measure tokenizer_ratios.toml with tokencost.reprice.ratios.measure"
        )
    value = (Decimal(counts[target]) / Decimal(counts[source])).quantize(RATIO_PLACES)
    return value, f"approximate: {source}->{target} x{value} measured on {_data()['corpus']['name']}"


def measure(files: list[Path], name: str) -> str:
    """Count ``files`` with every shipped tokenizer; the TOML text for ``tokenizer_ratios.toml``."""
    from ..tokenizers import TOKENIZER_NAMES, get_tokenizer

    text = "\n".join(p.read_text(encoding="utf-8") for p in files)
    lines = [
        "# Token counts of one corpus under every shipped tokenizer (see ratios.py).",
        f"measured = {dt.date.today().isoformat()}",
        "",
        "[corpus]",
        f'name = "{name}"',
        f"characters = {len(text)}",
        "files = [",
    ]
    lines += [f'  {{ path = "{p.name}", sha256 = "{hashlib.sha256(p.read_bytes()).hexdigest()}" }},' for p in files]
    lines += ["]", "", "[counts]"]
    for tok in TOKENIZER_NAMES:
        lines.append(f'"{tok}" = {get_tokenizer(tok).count(text)}')
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # python -m tokencost.reprice.ratios FILE... > tokenizer_ratios.toml
    import sys

    print(measure([Path(p) for p in sys.argv[1:]], "tokencost's README.md and docs/*.md"), end="")
