"""Benchmark: repricing N rows of canonical Parquet vs a hand-written DuckDB join (same file, same rates).

    python bench/bench_reprice.py --rows 1000000      # default; --rows 10000000 for the 10M figure

Generates the Parquet file under the temp directory (deleted afterwards), then runs, each in its own
process so peak RSS is its own: (1) ``tokencost.reprice.reprice`` on the file, (2) the reference - a
single DuckDB join of the same file to a plain price table (model, date range, batch flag, input /
cached / output rate per token as DECIMAL) summed, i.e. the least work that prices the rows.  Prints
seconds, rows/s, peak RSS and the ratio ours/reference, measured in the same run.  Both totals are
printed too; they differ when the traffic exercises rules the reference leaves out (tiers, fallbacks).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: Log spellings of the generated traffic (dated snapshots, provider prefixes, Bedrock profiles).
MODELS = [
    "gpt-4o-2024-08-06",
    "openai/gpt-4o-mini",
    "gpt-4.1",
    "gpt-4.1-mini",
    "o3",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5",
    "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    "gemini-2.5-flash",
    "mistral-large-latest",
]


def generate(path: Path, rows: int) -> None:
    import duckdb

    models = "[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    duckdb.sql(f"""
    COPY (
      SELECT TIMESTAMP '2025-10-01' + to_seconds(CAST(hash(i) % 31536000 AS BIGINT)) AS timestamp,
             {models}[1 + CAST(hash(i * 7) % {len(MODELS)} AS INTEGER)] AS model,
             CAST(100 + hash(i * 3) % 20000 AS BIGINT) AS input_tokens,
             CAST((hash(i * 3) % 20000) * (hash(i * 5) % 3) / 4 AS BIGINT) AS cached_tokens,
             CAST(10 + hash(i * 11) % 2000 AS BIGINT) AS output_tokens,
             CAST(1 AS BIGINT) AS requests,
             (hash(i * 13) % 10 = 0) AS batch,
             'proj-' || CAST(hash(i * 17) % 20 AS VARCHAR) AS project
      FROM range({rows}) t(i)
    ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)""")


def run_ours(path: str) -> dict:
    from tokencost.registry import load_registry
    from tokencost.reprice import reprice

    registry = load_registry()
    registry.keys()  # parse the price files before the clock starts, as the reference does
    start = time.perf_counter()
    result = reprice([path], group_by=("model", "month"), memory_limit="1GB", registry=registry)
    elapsed = time.perf_counter() - start
    return {
        "seconds": elapsed,
        "total": str(result.total_cost),
        "rows": result.rows,
        "unpriced_rows": sum(u.rows for u in result.unpriced),
    }


def run_reference(path: str) -> dict:
    import duckdb

    from tokencost.registry import load_registry
    from tokencost.reprice.pricetable import build_price_rows
    from tokencost.reprice.resolve import resolve_model

    registry = load_registry()
    registry.keys()
    start = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    con.execute("SET TimeZone = 'UTC'")
    keys = {m: resolve_model(registry, m, None)[0] for m in MODELS}
    rows = [r for r in build_price_rows(registry, sorted({k for k in keys.values() if k})) if not r.service_tier]
    con.execute(
        "CREATE TABLE rates (model STRING, d0 DATE, d1 DATE, batch BOOLEAN, r_in DECIMAL(20,18), "
        "r_cr DECIMAL(20,18), r_out DECIMAL(20,18))"
    )
    con.executemany(
        "INSERT INTO rates VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            [
                m,
                r.effective_from,
                r.effective_to,
                r.batch,
                r.bands[0][2]["in"],
                r.bands[0][2]["cr"],
                r.bands[0][2]["out"],
            ]
            for m, k in keys.items()
            for r in rows
            if r.key == k
        ],
    )
    total = con.execute(f"""
      SELECT SUM(CAST(u.input_tokens - u.cached_tokens AS DECIMAL(18,0)) * r.r_in
               + CAST(u.cached_tokens AS DECIMAL(18,0)) * r.r_cr + CAST(u.output_tokens AS DECIMAL(18,0)) * r.r_out)
      FROM read_parquet('{path}') u JOIN rates r
        ON u.model = r.model AND r.d0 <= CAST(u.timestamp AS DATE) AND CAST(u.timestamp AS DATE) < r.d1
       AND u.batch = r.batch""").fetchall()[0][0]
    return {"seconds": time.perf_counter() - start, "total": str(total)}


def child(kind: str, path: str) -> None:
    out = run_ours(path) if kind == "ours" else run_reference(path)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="tokencost-bench-") as tmp:
        path = Path(tmp) / "usage.parquet"
        start = time.perf_counter()
        generate(path, args.rows)
        print(
            f"generated {args.rows:,} rows ({path.stat().st_size / 1e6:.0f} MB Parquet) "
            f"in {time.perf_counter() - start:.1f}s"
        )
        results = {}
        for kind in ("reference", "ours"):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(path)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
            )
            results[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
            r = results[kind]
            print(
                f"{kind:9s}  {r['seconds']:7.2f}s  {args.rows / r['seconds']:>12,.0f} rows/s  "
                f"peak RSS {r['peak_rss_mb']:6.0f} MB  total ${r['total']}"
            )
        print(
            f"ratio ours/reference: {results['ours']['seconds'] / results['reference']['seconds']:.2f}x "
            f"(target <= 3x; peak RSS target <= 2048 MB)"
        )


if __name__ == "__main__":
    main()
