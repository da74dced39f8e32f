"""Per-call cost of the library API, against its reference in the same run.

    python bench/bench_api.py [--calls 20000]

Rows (issue #13):
  * ``count_tokens(text, model)`` on a short text, no ``registry=``   vs  ``tokenizer.count(text)``
  * ``price(model, Usage(...))`` on known token counts               vs  ``genai_prices.calc_price``
  * ``estimate(text, model)`` (counting included), no ``registry=``  vs  ``tokenizer.count`` + ``calc_price``
  * ``import tokencost`` in a fresh process                          vs  a bare ``python -c pass``
Each figure is the median of 5 timed loops; the ratio is what to compare from run to run.
genai-prices is needed for its rows: ``pip install genai-prices``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TEXT = "Summarise this support ticket in one line for the on-call engineer, then tag it."


def per_call(fn, calls: int) -> float:
    """Median seconds per call over 5 loops of ``calls`` calls."""
    fn()
    loops = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        loops.append((time.perf_counter() - start) / calls)
    return statistics.median(loops)


def process_time(code: str, runs: int = 9) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def row(label: str, ours: float, ref: float, ref_label: str) -> None:
    print(f"{label:44} {ours * 1e6:10.1f} us   {ref_label:30} {ref * 1e6:10.1f} us   {ours / ref:5.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    args = parser.parse_args()
    import tokencost
    from tokencost.tokenizers import get_tokenizer

    tok = get_tokenizer("o200k_base")
    tok.encoding  # both sides count with the built encoder
    print(f"python {sys.version.split()[0]}, {args.calls:,} calls per loop, median of 5 loops")
    count_ref = per_call(lambda: tok.count(TEXT), args.calls)
    row("count_tokens(text, 'gpt-4o')", per_call(lambda: tokencost.count_tokens(TEXT, "gpt-4o"), args.calls),
        count_ref, "tokenizer.count(text)")
    usage = tokencost.Usage(input_tokens=1200, output_tokens=300)
    try:
        from genai_prices import Usage as GUsage
        from genai_prices import calc_price
    except ImportError:
        print("genai-prices not installed: pip install genai-prices for the price rows")
        calc = None
    else:
        g_usage = GUsage(input_tokens=1200, output_tokens=300)

        def calc():
            return calc_price(g_usage, model_ref="gpt-4o", provider_id="openai")
    if calc is not None:
        calc_ref = per_call(calc, args.calls)
        row("price('openai:gpt-4o', Usage(...))", per_call(lambda: tokencost.price("openai:gpt-4o", usage),
                                                          args.calls), calc_ref, "genai_prices.calc_price")
        row("estimate(text, 'openai:gpt-4o')",
            per_call(lambda: tokencost.estimate(TEXT, "openai:gpt-4o", response_tokens=300), args.calls // 4),
            count_ref + calc_ref, "tokenizer.count + calc_price")
    bare = process_time("pass")
    imported = process_time("import tokencost")
    print(f"{'import tokencost (fresh process)':44} {imported:10.3f} s    {'python -c pass':30} {bare:10.3f} s"
          f"   +{imported - bare:.3f} s")


if __name__ == "__main__":
    main()
