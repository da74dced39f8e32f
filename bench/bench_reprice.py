"""Benchmark: repricing N rows of canonical Parquet vs a hand-written DuckDB join (same file, same rates).

    python bench/bench_reprice.py --rows 1000000      # default; --rows 10000000 for the 10M figure
    python bench/bench_reprice.py --rows 100000000    # scale: bounded memory at 100M rows

Generates the Parquet data under the temp directory (deleted afterwards) in files of at most
``--chunk-rows`` rows each (one DuckDB COPY per file, so generating 100M rows needs no more memory
than generating 10M), then runs, each in its own
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


def generate(folder: Path, rows: int, chunk_rows: int) -> list[Path]:
    """``rows`` rows of canonical usage as Parquet files of ``chunk_rows`` rows each, in ``folder``."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    con.execute("SET preserve_insertion_order = false")
    paths = []
    for n, first in enumerate(range(0, rows, chunk_rows)):
        path = folder / f"part-{n:05d}.parquet"
        _generate_part(con, path, first, min(rows, first + chunk_rows))
        paths.append(path)
    con.close()
    return paths


def _generate_part(con, path: Path, first: int, stop: int) -> None:
    models = "[" + ", ".join(f"'{m}'" for m in MODELS) + "]"
    con.execute(f"""
    COPY (
      SELECT TIMESTAMP '2025-10-01' + to_seconds(CAST(hash(i) % 31536000 AS BIGINT)) AS timestamp,
             {models}[1 + CAST(hash(i * 7) % {len(MODELS)} AS INTEGER)] AS model,
             CAST(100 + hash(i * 3) % 20000 AS BIGINT) AS input_tokens,
             CAST((hash(i * 3) % 20000) * (hash(i * 5) % 3) / 4 AS BIGINT) AS cached_tokens,
             CAST(10 + hash(i * 11) % 2000 AS BIGINT) AS output_tokens,
             CAST(1 AS BIGINT) AS requests,
             (hash(i * 13) % 10 = 0) AS batch,
             'proj-' || CAST(hash(i * 17) % 20 AS VARCHAR) AS project
      FROM range({first}, {stop}) t(i)
    ) TO '{path}' (FORMAT parquet, ROW_GROUP_SIZE 122880)""")


def run_ours(path: str) -> dict:
    """Reprice the file or folder ``path`` (a folder: every Parquet file in it)."""
    import duckdb  # noqa: F401  (imported before the clock starts, as the reference does)

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
      FROM read_parquet('{_glob(path)}') u JOIN rates r
        ON u.model = r.model AND r.d0 <= CAST(u.timestamp AS DATE) AND CAST(u.timestamp AS DATE) < r.d1
       AND u.batch = r.batch""").fetchall()[0][0]
    return {"seconds": time.perf_counter() - start, "total": str(total)}


def _glob(path: str) -> str:
    return os.path.join(path, "*.parquet") if os.path.isdir(path) else path


def child(kind: str, path: str) -> None:
    out = run_ours(path) if kind == "ours" else run_reference(path)
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(out))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--chunk-rows", type=int, default=10_000_000, help="rows per generated Parquet file")
    parser.add_argument("--timeout", type=float, default=600, help="seconds allowed to each measured run")
    parser.add_argument("--only", choices=("reference", "ours"), default=None, help="measure one side only")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="tokencost-bench-") as tmp:
        path = Path(tmp) / "usage"
        path.mkdir()
        start = time.perf_counter()
        files = generate(path, args.rows, args.chunk_rows)
        size = sum(f.stat().st_size for f in files)
        print(
            f"generated {args.rows:,} rows ({size / 1e6:.0f} MB Parquet in {len(files)} file(s)) "
            f"in {time.perf_counter() - start:.1f}s"
        )
        results = {}
        for kind in [args.only] if args.only else ("reference", "ours"):
            proc = subprocess.run(
                [sys.executable, __file__, "--child", kind, str(path)],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ},
                timeout=args.timeout,
            )
            results[kind] = json.loads(proc.stdout.strip().splitlines()[-1])
            r = results[kind]
            print(
                f"{kind:9s}  {r['seconds']:7.2f}s  {args.rows / r['seconds']:>12,.0f} rows/s  "
                f"peak RSS {r['peak_rss_mb']:6.0f} MB  total ${r['total']}"
            )
        if len(results) < 2:
            return
        print(
            f"ratio ours/reference: {results['ours']['seconds'] / results['reference']['seconds']:.2f}x "
            f"(target <= 3x; peak RSS target <= 2048 MB)"
        )


if __name__ == "__main__":
    main()
