"""``reprice``: usage exports and logs in, every row priced at the price in force on its day."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from ..errors import BadInputError, TokencostError
from ..registry import Registry, load_registry
from . import ratios
from .canonical import Malformed, Problems, normalize
from .pricetable import FAR_FUTURE, PriceRow, build_price_rows, max_bands, price_rows, walks
from .query import COLUMN_GROUPS, SUMS, TIME_GROUPS, aggregate_sql
from .readers import reader
from .recount import BatchText
from .resolve import resolve_model
from .result import RECONCILE_TOLERANCE, Group, Repricing, Unpriced, WhatIf
from .sources import BATCH_INPUT, BadLine, detect, expand, records

CHUNK_ROWS = 50_000
GROUPS = tuple(TIME_GROUPS) + tuple(COLUMN_GROUPS)


def parse_columns(pairs: Sequence[str] | dict[str, str] | None) -> dict[str, str]:
    """``["ours=theirs", ...]`` -> ``{"ours": "theirs"}``."""
    if not pairs:
        return {}
    if isinstance(pairs, dict):
        return dict(pairs)
    out = {}
    for pair in pairs:
        ours, sep, theirs = pair.partition("=")
        if not sep or not ours.strip() or not theirs.strip():
            raise BadInputError(f"column mapping {pair!r} must look like ours=theirs (e.g. input_tokens=prompt)")
        out[ours.strip()] = theirs.strip()
    return out


def _engine(engine: str | Any, **options: Any):
    if not isinstance(engine, str):
        return engine
    if engine == "duckdb":
        from .duck import DuckEngine

        return DuckEngine(**{k: v for k, v in options.items() if v is not None})
    if engine == "spark":
        from .spark import SparkEngine

        return SparkEngine(**{k: v for k, v in options.items() if k == "spark" and v is not None})
    raise BadInputError(f"unknown engine {engine!r}; choose duckdb or spark")


def load_sources(
    eng: Any,
    sources: Any,
    input_format: str,
    columns: dict[str, str],
    problems: Problems,
    strict: bool,
    progress: Callable[[int], None] | None = None,
    batch_input: Sequence[str] | str = (),
) -> BatchText:
    """Read every source into the engine: Parquet natively, everything else through the readers.

    OpenAI Batch input files (given in ``batch_input`` or detected among ``sources``) are not usage:
    they are returned, with where each ``custom_id`` of the Batch output files landed, for what-ifs."""
    if input_format != "auto":
        reader(input_format)  # unknown format: error before reading anything
    eng.column_map = columns
    text = BatchText()
    if batch_input:
        for src in expand(batch_input):
            fmt, container = _detect(src)
            if fmt != BATCH_INPUT:
                raise BadInputError(
                    f"{src.name} is not an OpenAI Batch input file (JSONL lines with custom_id and body.messages)"
                )
            text.inputs.append(src)
    found = []
    for src in expand(sources):
        fmt, container = _detect(src)
        if fmt == BATCH_INPUT and container == "jsonl":
            text.inputs.append(src)
        else:
            found.append((src, fmt, container))
    if text.inputs and not found:
        raise BadInputError(
            "an OpenAI Batch input file holds the prompts but no usage: give its output file too "
            "(the results file the Batch API returned)"
        )
    parquet: list[str] = []
    chunk: list[tuple] = []
    for src, fmt, container in found:
        if container == "parquet":
            if input_format not in ("auto", "canonical"):
                raise BadInputError(f"{src.name} is Parquet: only canonical columns are read from Parquet")
            parquet.append(str(src.path))
            continue
        fmt = fmt if input_format == "auto" else input_format
        if fmt != "canonical" and columns:
            problems.note(f"column mappings apply to canonical files only; ignored for {src.name} ({fmt})")
        if fmt == "canonical" and container == "csv" and hasattr(eng, "add_csv"):
            eng.add_csv(str(src.path), columns, src.is_gzip)
            continue
        if fmt == "canonical" and container == "csv" and columns:
            with src.open_text() as fh:
                header = next(iter(__import__("csv").reader(fh)), [])
            from .canonical import missing_required

            missing_required([h.strip() for h in header], columns, src.name)
        items = records(src, container)
        if fmt == "openai-batch" and text.inputs:
            items = text.track(src, items)
        try:
            for line, rec in reader(fmt)(items, columns):
                if isinstance(rec, BadLine):
                    _bad(problems, strict, src.name, line, rec.reason)
                    continue
                try:
                    chunk.append(normalize(rec, src.name, line))
                except Malformed as exc:
                    _bad(problems, strict, src.name, line, str(exc))
                    continue
                if len(chunk) >= CHUNK_ROWS:
                    eng.add_rows(chunk)
                    if progress:
                        progress(len(chunk))
                    chunk = []
        except UnicodeDecodeError as exc:
            raise BadInputError(f"{src.name}: not UTF-8 text ({exc.reason}); is it a usage export?") from None
        except (OSError, EOFError) as exc:
            raise BadInputError(f"cannot read {src.name}: {exc}") from None
    eng.add_rows(chunk)
    if parquet:
        eng.add_parquet(parquet, columns)
    eng.finish_usage()
    if text.inputs and not text.matched():
        problems.note(
            "Batch input file(s) given but no OpenAI Batch output line shares a custom_id with them: "
            "prompts are not recounted"
        )
    return text


def _detect(src: Any) -> tuple[str, str]:
    try:
        return detect(src)
    except UnicodeDecodeError:
        raise BadInputError(
            f"cannot read {src.name}: not UTF-8 text, gzip or Parquet; give a usage export (CSV, JSON Lines, JSON or Parquet)"
        ) from None
    except OSError as exc:
        raise BadInputError(f"cannot read {src.name}: {exc.strerror or exc}") from None


def _bad(problems: Problems, strict: bool, file: str, line: int, reason: str) -> None:
    if strict:
        raise BadInputError(f"{file}, line {line}: {reason}")
    problems.add(file, line, reason)


def reprice(
    sources: Any,
    *,
    what_if: Sequence[str] = (),
    what_if_as_of: dt.date | None = None,
    what_if_selfhost: Sequence[str] = (),
    selfhost_options: dict[str, Any] | None = None,
    batch_input: Sequence[str] | str = (),
    group_by: Sequence[str] = ("model",),
    engine: str | Any = "duckdb",
    input_format: str = "auto",
    columns: Sequence[str] | dict[str, str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    strict: bool = False,
    registry: Registry | None = None,
    memory_limit: str | None = None,
    temp_directory: str | None = None,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Repricing:
    """Price every usage row in ``sources`` (files, folders, globs, ``"-"``) at its day's prices.

    ``what_if`` models price the same traffic at ``what_if_as_of`` (default today);
    ``what_if_selfhost`` (``"MODEL@GPU"``) on the deployment :func:`tokencost.selfhost.plan` chooses on that
    GPU for the traffic's hourly profile (``selfhost_options``: ``ttft_s``, ``itl_s``, ``price_tier``,
    ``redundancy``, ``precisions``, ``max_load``, ``gpu_prices``, passed to the plan).  ``batch_input``:
    OpenAI Batch input files (JSONL with ``custom_id`` and ``body.messages``) whose prompts are recounted
    exactly on each what-if model (they are also detected among ``sources``).  Rows whose
    model cannot be resolved or priced are listed in ``unpriced``, never counted as $0; with
    ``strict`` they (and malformed rows) raise :class:`~tokencost.errors.BadInputError`.
    """
    group_by = _check_groups(group_by)
    registry = registry or load_registry()
    problems = Problems()
    eng = _engine(engine, memory_limit=memory_limit, temp_directory=temp_directory, threads=threads)
    try:
        text = load_sources(eng, sources, input_format, parse_columns(columns), problems, strict, progress, batch_input)
        return _run(
            eng,
            registry,
            problems,
            what_if,
            what_if_as_of,
            group_by,
            since,
            until,
            strict,
            what_if_selfhost,
            selfhost_options,
            text,
        )
    finally:
        if isinstance(engine, str):
            eng.close()


def reprice_frame(
    frame: Any,
    *,
    what_if: Sequence[str] = (),
    what_if_as_of: dt.date | None = None,
    what_if_selfhost: Sequence[str] = (),
    selfhost_options: dict[str, Any] | None = None,
    group_by: Sequence[str] = ("model",),
    columns: Sequence[str] | dict[str, str] | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    strict: bool = False,
    registry: Registry | None = None,
    connection: Any = None,
) -> Repricing:
    """Reprice a DataFrame you already have: pandas, a DuckDB relation or a Spark DataFrame.

    It needs the canonical columns (``timestamp, model, input_tokens, output_tokens`` and any of
    the optional ones), or ``columns`` mapping ours to yours.  A Spark DataFrame is priced by
    Spark where it lives; the others by DuckDB (a relation on its own ``connection``, default
    DuckDB's default connection, where a few ``_tc_*`` temporary tables are created).  What-ifs
    (``what_if``, ``what_if_selfhost``, ``selfhost_options``) are as in :func:`reprice`.
    """
    group_by = _check_groups(group_by)
    registry = registry or load_registry()
    problems = Problems()
    if type(frame).__module__.startswith("pyspark"):
        from .spark import SparkEngine

        eng: Any = SparkEngine(spark=frame.sparkSession)
    else:
        from .duck import DuckEngine

        if hasattr(frame, "create_view"):  # a DuckDB relation: price it on its own connection
            import duckdb

            eng = DuckEngine(connection=connection or duckdb.default_connection())
        else:
            eng = DuckEngine()
    try:
        eng.add_frame(frame, parse_columns(columns))
        eng.finish_usage()
        return _run(
            eng,
            registry,
            problems,
            what_if,
            what_if_as_of,
            group_by,
            since,
            until,
            strict,
            what_if_selfhost,
            selfhost_options,
        )
    except Exception as exc:
        if "_tc_frame" in str(exc) and "does not exist" in str(exc):
            raise BadInputError("the DuckDB relation lives on another connection: pass it as connection=") from None
        raise
    finally:
        eng.close()


def _check_groups(group_by: Sequence[str]) -> tuple[str, ...]:
    if isinstance(group_by, str):
        group_by = [g for g in group_by.split(",") if g.strip()]
    groups = tuple(g.strip().lower() for g in group_by)
    for g in groups:
        if g not in GROUPS:
            raise BadInputError(f"cannot group by {g!r}; choose from {', '.join(GROUPS)}")
    return groups


def _mapping(eng: Any, registry: Registry) -> tuple[list[tuple[str, str, str | None]], dict[tuple[str, str], str]]:
    _, pairs = eng.rows("SELECT DISTINCT model, COALESCE(provider, '') FROM _tc_usage")  # only 2 columns read
    mapping, reasons = [], {}
    for model, provider in pairs:
        if model is None:
            continue
        key, reason = resolve_model(registry, model, provider or None)
        mapping.append((model, provider, key))
        if key is None:
            reasons[(model, provider)] = reason
    return mapping, reasons


def _run(
    eng: Any,
    registry: Registry,
    problems: Problems,
    what_if: Sequence[str],
    what_if_as_of: dt.date | None,
    group_by: tuple[str, ...],
    since: dt.date | None,
    until: dt.date | None,
    strict: bool,
    what_if_selfhost: Sequence[str] = (),
    selfhost_options: dict[str, Any] | None = None,
    text: BatchText | None = None,
) -> Repricing:
    mapping, reasons = _mapping(eng, registry)
    keys = sorted({k for _, _, k in mapping if k})
    rows = build_price_rows(registry, keys)
    n_bands = max(max_bands(rows), 1)
    eng.set_prices(rows, n_bands)
    eng.set_mapping(mapping)
    names, result = eng.rows(aggregate_sql(n_bands, group_by, since, until, walk=walks(rows)))
    recs = _with_keys([dict(zip(names, r)) for r in result], mapping)

    good = [r for r in recs if r["bad_reason"] is None]
    for r in recs:
        if r["bad_reason"] is not None:
            problems.add("(table)", 0, r["bad_reason"], rows=r["rows_"], example=False)
    if any(r["bad_reason"] is not None for r in recs):
        problems.examples.extend(_bad_examples(eng, since, until))
    if strict and problems.count:
        file, line, reason = problems.examples[0]
        raise BadInputError(f"{file}, line {line}: {reason}" if line else f"{file}: {reason}")

    unpriced = _unpriced(registry, [r for r in good if not r["priced"]], reasons, rows)
    if strict and unpriced:
        u = unpriced[0]
        raise BadInputError(f"cannot price {u.rows} row(s) of model {u.model!r}: {u.reason}")
    groups = _groups(good, group_by)
    priced_rows = [r for r in good if r["priced"]]
    total = sum((r["repriced_cost"] for r in priced_rows), Decimal(0))
    billed_vals = [r["cost"] for r in good if r["billed_rows"]]
    billed = sum(billed_vals, Decimal(0)) if billed_vals else None
    notes = list(problems.notes) + _notes(priced_rows, rows, good)
    if text is not None and text.outputs and not what_if:
        notes.append("Batch input files recount prompts for what-if models only; none was asked for")
    whatifs = [_what_if(eng, registry, m, what_if_as_of, mapping, since, until, text) for m in what_if]
    if what_if_selfhost:
        from .selfhost_whatif import what_if_selfhost as selfhost

        whatifs += [selfhost(eng, registry, spec, mapping, since, until, selfhost_options) for spec in what_if_selfhost]
    return Repricing(
        total_cost=total,
        billed_cost=billed,
        groups=groups,
        what_if=whatifs,
        unpriced=unpriced,
        malformed=problems.count,
        malformed_by_reason=problems.by_reason,
        malformed_examples=problems.examples[:20],
        group_by=group_by,
        rows=sum(r["rows_"] for r in good),
        engine=eng.name,
        notes=notes,
    )


def _with_keys(recs: list[dict], mapping: list[tuple[str, str, str | None]]) -> list[dict]:
    """Add each row group's registry key, and the ``model``/``provider`` group values drawn from it."""
    keys = {(m, p): k for m, p, k in mapping}
    for r in recs:
        key = keys.get((r["model"], r["provider"] or ""))
        r["model_key"] = key
        r["g_model"] = key or r["model"]
        r["g_provider"] = key.split(":")[0] if key else r["provider"]
    return recs


def _bad_examples(eng: Any, since, until) -> list[tuple[str, int, str]]:
    _, rows = eng.rows(
        "SELECT source_file, line, bad_reason FROM _tc_usage WHERE bad_reason IS NOT NULL "
        "ORDER BY source_file, line LIMIT 20"
    )
    out: list[tuple[str, int, str]] = []
    for file in dict.fromkeys(f for f, n, _ in rows if n is None and f and f != "<DataFrame>"):
        out.extend(_locate(file, getattr(eng, "column_map", {})))  # a CSV the engine read: find the lines
    out.extend((f or "(table)", int(n), r) for f, n, r in rows if n is not None or not f or f == "<DataFrame>")
    return out[:20]


def _locate(file: str, columns: dict[str, str]) -> list[tuple[str, int, str]]:
    """The first malformed lines of a canonical CSV, with the reader's reasons."""
    from pathlib import Path

    from .sources import Source

    src = Source(file, Path(file))
    found = []
    for line, rec in reader("canonical")(records(src, "csv"), columns):
        try:
            normalize(rec, file, line)
        except Malformed as exc:
            found.append((file, line, str(exc)))
            if len(found) >= 20:
                break
    return found


def _groups(recs: list[dict], group_by: tuple[str, ...]) -> list[Group]:
    acc: dict[tuple, dict] = {}
    members: dict[tuple, list[dict]] = {}
    for r in recs:
        key = tuple(r[f"g_{g}"] for g in group_by)
        members.setdefault(key, []).append(r)
        a = acc.setdefault(
            key,
            {
                "rows": 0,
                "unpriced_rows": 0,
                "first": None,
                "last": None,
                "billed_rows": 0,
                **{s: (Decimal(0) if s.endswith("cost") else 0) for s in SUMS},
            },
        )
        a["rows"] += r["rows_"]
        a["first"] = min(filter(None, [a["first"], r["first_ts"]]), default=None)
        a["last"] = max(filter(None, [a["last"], r["last_ts"]]), default=None)
        a["billed_rows"] += r["billed_rows"]
        a["cost_only"] = a.get("cost_only", 0) + (r["cost_only_rows"] or 0)
        if r["priced"]:
            a["repriced_billed"] = a.get("repriced_billed", Decimal(0)) + (r["repriced_billed"] or 0)
        for s in SUMS:
            if s.endswith("cost") and not r["priced"] and s != "cost":
                continue
            a[s] += r[s] or 0
        if not r["priced"]:
            a["unpriced_rows"] += r["rows_"]
    out = []
    for key, a in acc.items():
        billed = a["cost"] if a["billed_rows"] else None
        g = Group(
            key=dict(zip(group_by, (_plain_key(k) for k in key))),
            rows=a["rows"],
            requests=a["requests"],
            input_tokens=a["input_tokens"],
            cached_tokens=a["cached_tokens"],
            cache_write_tokens=a["cache_write_tokens"],
            output_tokens=a["output_tokens"],
            reasoning_tokens=a["reasoning_tokens"],
            input_cost=a["input_cost"],
            cache_read_cost=a["cache_read_cost"],
            cache_write_cost=a["cache_write_cost"],
            output_cost=a["output_cost"],
            total_cost=a["repriced_cost"] if a["unpriced_rows"] < a["rows"] else None,
            billed_cost=billed,
            first=a["first"],
            last=a["last"],
            unpriced_rows=a["unpriced_rows"],
            repriced_of_billed=(
                None if not a["billed_rows"] else a["repriced_cost"] if a["cost_only"] else a.get("repriced_billed")
            ),
        )
        mine = members[key]
        g.flag = _reconcile_flag(g, mine)
        g.notes = _group_notes(mine)
        out.append(g)
    out.sort(key=lambda g: (g.total_cost is None, -(g.total_cost or 0), [str(v) for v in g.key.values()]))
    return out


def _plain_key(value: Any) -> Any:
    return (
        value.date()
        if isinstance(value, dt.datetime) and value == dt.datetime.combine(value.date(), dt.time())
        else value
    )


def _reconcile_flag(g: Group, recs: list[dict]) -> str | None:
    """Why billed and repriced differ by more than 1%, when they do (the likely cause, not a proof)."""
    if g.billed_cost is None:
        return None
    total = g.repriced_of_billed or Decimal(0)
    base = max(abs(g.billed_cost), abs(total))
    if base == 0 or abs(g.billed_cost - total) <= RECONCILE_TOLERANCE * base:
        return None
    share = (g.billed_cost - total) / base * 100
    causes = []
    if g.unpriced_rows:
        causes.append("rows with no price in force (a missing price period or unknown model)")
    if any(r["batch"] for r in recs) or any(r["service_tier"] for r in recs):
        causes.append("batch or a flex/priority service tier billed differently")
    if g.cached_tokens or g.cache_write_tokens:
        causes.append("cache accounting (cache reads/writes, TTL)")
    if g.billed_cost < total and not causes:
        causes.append("a discount, credit or negotiated rate")
    if not causes:
        causes.append("a price change not in the registry, or an unlisted surcharge")
    return f"billed differs by {share:+.1f}%: likely {'; or '.join(causes)}"


def _unpriced(registry: Registry, recs: list[dict], reasons: dict, rows: list[PriceRow]) -> list[Unpriced]:
    by_key: dict[tuple, Unpriced] = {}
    for r in recs:
        reason = reasons.get((r["model"], r["provider"] or "")) or _why(registry, r, rows)
        k = (r["model"], r["provider"], reason)
        u = by_key.setdefault(k, Unpriced(r["model"], r["provider"], reason, 0, 0, 0))
        u.rows += r["rows_"]
        u.input_tokens += r["input_tokens"] or 0
        u.output_tokens += r["output_tokens"] or 0
    return sorted(by_key.values(), key=lambda u: (-u.rows, u.model))


def _why(registry: Registry, r: dict, rows: list[PriceRow]) -> str:
    key = r["model_key"]
    mine = [p for p in rows if p.key == key]
    if r.get("over_window"):
        window = max((p.context_window for p in mine), default=0)
        return f"average prompt per request longer than {key}'s {window:,}-token context window"
    if not mine:
        try:
            rate = registry.get(key).usd_per_unit  # raises when a currency has no conversion to USD
        except TokencostError as exc:
            return str(exc)
        return f"{key} has no price list here (USD per unit {rate})"
    first = min(p.effective_from for p in mine)
    if r["first_ts"] is not None and r["first_ts"].date() < first:
        return f"{key} has no price before {first} (rows from {r['first_ts'].date()})"
    if r["service_tier"]:
        tiers = sorted({p.service_tier for p in mine if p.service_tier})
        return f"{key} publishes no {r['service_tier']!r} service tier (published: {', '.join(tiers) or 'none'})"
    return f"{key}: no price list matches (batch={r['batch']})"


def _notes(priced: list[dict], rows: list[PriceRow], good: list[dict] | None = None) -> list[str]:
    notes = tier_notes(priced, rows) + window_notes(good or [], rows)
    lists = {(p.key, p.batch, p.service_tier): p.notes for p in rows}
    seen: set[str] = set()
    for r in priced:
        for (key, batch, tier), ns in lists.items():
            if key == r["model_key"] and batch == r["batch"] and tier == (r["service_tier"] or ""):
                for n in ns:
                    text = f"{key}: {n}"
                    if (
                        "cache-write" in n
                        and not r["cache_write_tokens"]
                        or "cache-read" in n
                        and not r["cached_tokens"]
                    ):
                        continue
                    if text not in seen:
                        seen.add(text)
                        notes.append(text)
    return notes


def _thresholds(rows: list[PriceRow], key: str) -> list[int]:
    return sorted({band[0] for p in rows if p.key == key for band in p.bands[1:]})


def tier_notes(priced: list[dict], rows: list[PriceRow], key_of: str = "model_key") -> list[str]:
    """One note per model with context-length tiers that has aggregated rows (``requests > 1``): the
    tier is chosen by the row's average prompt, which is exact only if its requests were alike."""
    counts: dict[str, int] = {}
    for r in priced:
        if r["tier_approx_rows"]:
            counts[r[key_of]] = counts.get(r[key_of], 0) + r["tier_approx_rows"]
    return [
        f"{key}: {n:,} aggregated row(s) (several requests each) priced at the average prompt per request; "
        f"its context-length tiers (in its price periods: above {', '.join(f'{t:,}' for t in _thresholds(rows, key))} prompt tokens) "
        f"apply per request, so these rows are exact only if their requests were alike"
        for key, n in sorted(counts.items())
    ]


def window_notes(recs: list[dict], rows: list[PriceRow], key_of: str = "model_key") -> list[str]:
    """One note per model with rows whose average prompt is longer than its context window."""
    counts: dict[str, int] = {}
    for r in recs:
        if r["over_window"]:
            counts[r[key_of]] = counts.get(r[key_of], 0) + r["rows_"]
    windows = {p.key: p.context_window for p in rows}
    return [
        f"{key}: {n:,} row(s) have an average prompt per request longer than its {windows.get(key, 0):,}-token "
        f"context window; they are not priced (listed as unpriced): check the model name, and that the "
        f"row's token counts are the totals of its requests"
        for key, n in sorted(counts.items())
    ]


def _group_notes(recs: list[dict]) -> list[str]:
    approx = sum(r["tier_approx_rows"] or 0 for r in recs if r["priced"])
    over = sum(r["rows_"] for r in recs if r["over_window"])
    notes = []
    if approx:
        notes.append(f"{approx:,} aggregated row(s) of a model with context tiers priced at the average prompt")
    if over:
        notes.append(f"{over:,} row(s) with an average prompt longer than the context window, not priced")
    return notes


def _what_if(
    eng: Any,
    registry: Registry,
    target: str,
    as_of: dt.date | None,
    mapping: list,
    since,
    until,
    text: BatchText | None = None,
) -> WhatIf:
    day = as_of or dt.date.today()
    priced = registry.get(target, day)
    table = [
        PriceRow(**{**vars(p), "effective_from": dt.date(1, 1, 1), "effective_to": FAR_FUTURE})
        for p in price_rows(priced, FAR_FUTURE)
    ]
    if not table:
        raise BadInputError(f"{priced.key} bills in {priced.currency} with no conversion to USD")
    n_bands = max_bands(table)
    scaled: list[tuple[str, str, str | None, Decimal | None]] = []
    approximate, bases = False, set()
    for model, provider, key in mapping:
        if key is None:
            continue
        src_tok = registry.tokenizer_of(key)
        ratio, basis = ratios.ratio(src_tok, priced.tokenizer)
        if ratio != 1 or basis != "same tokenizer":
            approximate = True
        bases.add(basis)
        scaled.append((model, provider, priced.key, ratio))
    recounted = 0
    if text is not None and text.outputs:
        rows, recounted, uncountable = text.recount(priced.key, registry)
        eng.set_recount(rows)
        if recounted:
            bases.add(
                f"prompt tokens of {recounted:,} Batch request(s) recounted exactly from their input text"
                + (f" ({uncountable:,} with no countable text scaled)" if uncountable else "")
                + "; their output tokens "
                + ("carried over" if all(r == 1 for *_, r in scaled) else "scaled by the ratio")
            )
    eng.set_prices(table, n_bands)
    eng.set_mapping([(m, p, k) for m, p, k, _ in scaled])
    ratio_cases = (
        " ".join(
            f"WHEN model = {_lit(m)} AND COALESCE(provider, '') = {_lit(p)} THEN CAST({r} AS DECIMAL(12,6))"
            for m, p, _, r in scaled
        )
        or "WHEN FALSE THEN 1"
    )
    if recounted:  # the recounted prompt replaces the scaled one; the cached parts stay inside it
        base = (
            "(SELECT u.*, rc.input_tokens AS rc_input FROM _tc_usage u LEFT JOIN _tc_recount rc "
            "ON u.source_file = rc.source_file AND u.line = rc.line)"
        )
        prompt = "COALESCE(rc_input, CAST(ROUND(input_tokens * r) AS BIGINT))"
    else:
        base, prompt = "_tc_usage", "CAST(ROUND(input_tokens * r) AS BIGINT)"
    view = f"""(SELECT ts, model, provider, batch, service_tier, tier_hint, requests, cost,
        project, user_name, source_file, line, bad_reason, input_tokens, cached_tokens, cache_write_tokens,
        LEAST(w1h, cache_write_tokens) AS cache_write_1h_tokens, output_tokens, reasoning_tokens
      FROM (SELECT *, LEAST(w, input_tokens - cached_tokens) AS cache_write_tokens
        FROM (SELECT ts, model, provider, batch, CAST(NULL AS STRING) AS service_tier, tier_hint, requests, cost,
            project, user_name, source_file, line, bad_reason,
            {prompt} AS input_tokens,
            LEAST(CAST(FLOOR(cached_tokens * r) AS BIGINT), {prompt}) AS cached_tokens,
            CAST(FLOOR(cache_write_tokens * r) AS BIGINT) AS w,
            CAST(FLOOR(cache_write_1h_tokens * r) AS BIGINT) AS w1h,
            CAST(ROUND(output_tokens * r) AS BIGINT) AS output_tokens,
            CAST(ROUND(reasoning_tokens * r) AS BIGINT) AS reasoning_tokens
          FROM (SELECT *, CASE {ratio_cases} ELSE CAST(1 AS DECIMAL(12,6)) END AS r
                FROM {base} b WHERE bad_reason IS NULL) s) t) v)"""
    names, result = eng.rows(aggregate_sql(n_bands, (), since, until, usage=view, walk=walks(table)))
    recs = [dict(zip(names, r)) for r in result]
    for r in recs:
        r["target"] = priced.key
    total = sum((r["repriced_cost"] for r in recs if r["priced"]), Decimal(0))
    unpriced = sum(r["rows_"] for r in recs if not r["priced"])
    label = "; ".join(sorted(bases)) or "no priced rows"
    notes = tier_notes([r for r in recs if r["priced"]], table, "target") + window_notes(recs, table, "target")
    return WhatIf(priced.key, day, total, approximate, label, unpriced, notes)


def _lit(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"
