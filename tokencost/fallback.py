"""Opt-in fallback prices from pydantic's genai-prices, for models the curated registry lacks.

genai-prices (the optional extra ``tokencost[genai-prices]``) bundles a price database for
thousands of models.  :func:`fallback_priced` finds a model there and returns the same
:class:`~tokencost.registry.Priced` object the registry returns for curated models, so every
output can price it, but it is never consulted before the curated registry (the caller asks it
only after a curated lookup failed) and every such price says where it came from: the note
reads "price from genai-prices X.Y.Z (fallback, not curated)", the source is the provider page
genai-prices cites, and the token count is approximate unless the model maps to a known
tokenizer.

Offline by construction: the bundled data is read from ``genai_prices.data`` into a private
snapshot; genai-prices' updater (which downloads newer data) is never started, and a snapshot
another part of the process installed with it is ignored.

What is carried, and what is refused rather than mis-priced:

* token rates per 1M (input, output, cache read, cache write, 1-hour cache write) become the
  period's rates; genai-prices' context tiers (every token of the request at the tier rate once
  the prompt exceeds the threshold) become ``whole_request`` tiers;
* price history (genai-prices' start-date conditions) becomes price periods, so ``as_of`` works;
  the first period's start is not recorded by genai-prices and is shown as 1970-01-01;
* time-of-day prices (DeepSeek's peak and off-peak hours) become the peak price, with the
  cheaper hours as the service tier ``off-peak``; anything more tangled is refused;
* rates for other modalities and tool fees (audio, images, web searches, ...) do not apply to
  the text tokens tokencost prices and are listed in the note;
* anything else that would change the price of text tokens (per-request fees, per-character
  prices, a separate reasoning-token rate, ...) makes the model refused with the reason.

The price's ``checked`` date is the newest date recorded in genai-prices' bundled data (price
start dates and dates in its comments, up to today): the package records no date for its data.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import BadInputError
from .priced import Priced
from .schema import ModelEntry, PricePeriod, Provider, ServiceTier, Tier

__all__ = [
    "fallback_priced",
    "fallback_models",
    "fallback_refusals",
    "fallback_source",
    "genai_prices_version",
    "FIRST_PERIOD_START",
]

#: Shown as the start of a model's first price period (genai-prices does not record it).
FIRST_PERIOD_START = dt.date(1970, 1, 1)
#: ``context_window`` for models genai-prices gives none: large enough never to refuse a prompt.
UNKNOWN_CONTEXT_WINDOW = 1_000_000_000
INSTALL_HINT = "fallback prices need the genai-prices package: pip install 'tokencost[genai-prices]'"
GENAI_PRICES_URL = "https://github.com/pydantic/genai-prices"

#: genai-prices price keys carried into a tokencost price period, by field name.
CARRIED = {
    "input_mtok": "input",
    "output_mtok": "output",
    "cache_read_mtok": "cache_read",
    "cache_write_mtok": "cache_write",
    "cache_write_1h_mtok": "cache_write_1h",
}
#: Price keys for usage tokencost does not price (other modalities, tool fees): left out, noted.
_OTHER_USAGE = re.compile(
    r"^(input|output|cache)_(audio|image|video)_\w*mtok$|^(input_|output_)?audio_hours$|"
    r"^input_(annotated_)?document_kpages$|^input_gpixels$|^\w+_searches_kcount$|^code_executions_kcount$"
)
_ID_BAD = re.compile(r"[^a-z0-9._\-/]+")
_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")


def _clean_id(text: str) -> str:
    return _ID_BAD.sub("-", text.lower()).strip("-._/") or "model"


@dataclass(frozen=True)
class _Data:
    snapshot: Any
    providers: list[Any]
    version: str
    checked: dt.date
    origin: Path


@lru_cache(maxsize=1)
def _data() -> _Data:
    try:
        import genai_prices
        from genai_prices import data as gp_data
        from genai_prices.data_snapshot import DataSnapshot
    except ImportError:
        raise BadInputError(INSTALL_HINT) from None
    providers = list(gp_data.providers)
    snapshot = DataSnapshot(providers=providers, from_auto_update=False)
    return _Data(snapshot, providers, genai_prices.__version__, _data_date(providers), Path(gp_data.__file__))


def genai_prices_version() -> str:
    """The installed genai-prices version (:class:`BadInputError` naming the extra when missing)."""
    return _data().version


def _conditionals(model: Any) -> list[Any]:
    from genai_prices.types import ModelPrice

    return [] if isinstance(model.prices, ModelPrice) else list(model.prices)


def _data_date(providers: list[Any]) -> dt.date:
    """The newest date recorded in the data, not after today."""
    today = dt.date.today()
    found = [FIRST_PERIOD_START]
    for provider in providers:
        texts = [provider.price_comments or ""]
        for model in provider.models:
            texts.append(model.price_comments or "")
            for cond in _conditionals(model):
                start = getattr(cond.constraint, "start_date", None)
                if isinstance(start, dt.date):
                    found.append(start)
        for text in texts:
            for y, m, d in _DATE.findall(text):
                try:
                    found.append(dt.date(int(y), int(m), int(d)))
                except ValueError:
                    continue
    return max(day for day in found if day <= today)


# --- lookup -----------------------------------------------------------------------------------


def _find(ref: str) -> tuple[Any, Any] | None:
    """genai-prices' ``(provider, model)`` for ``ref``, or None when it does not know the model."""
    from genai_prices.data_snapshot import find_provider_by_id

    data = _data()
    text = ref.strip().lower()
    if not text:
        return None
    if ":" in text:
        prefix, _, name = text.partition(":")
        provider = find_provider_by_id(data.providers, prefix)
        if provider is not None:
            model = provider.find_model(name, all_providers=data.providers)
            return (provider, model) if model is not None else None
    attempts: list[tuple[str | None, str]] = [(None, text)]
    if "/" in text:  # an OpenRouter-style "vendor/model" id
        vendor, _, rest = text.partition("/")
        attempts += [("openrouter", text), (vendor, rest)]
    for provider_id, model_ref in attempts:
        try:
            return data.snapshot.find_provider_model(model_ref, None, provider_id, None)
        except LookupError:
            continue
    return None


def _owner(model: Any, default: Any) -> Any:
    """The provider whose list holds ``model`` (a provider may borrow another's models)."""
    for provider in _data().providers:
        if any(m is model for m in provider.models):
            return provider
    return default


def _source(provider: Any) -> str:
    for url in provider.pricing_urls or ():
        if isinstance(url, str) and re.match(r"^https://\S+$", url):
            return url
    return GENAI_PRICES_URL


# --- conversion -------------------------------------------------------------------------------


def _prices_on(model: Any, day: dt.date) -> tuple[Any, list[Any]]:
    """The price genai-prices uses on ``day`` and the time-of-day prices that can override it.

    Mirrors ``ModelInfo.get_prices``: conditional prices are tried last to first, the first
    without a constraint or with a start date on or before ``day`` wins (the first in the list
    when none does); time-of-day prices met on the way win at their hours.
    """
    conditionals = _conditionals(model)
    if not conditionals:
        return model.prices, []
    windows: list[Any] = []
    for cond in reversed(conditionals):
        constraint = cond.constraint
        if constraint is None:
            return cond.prices, windows
        start = getattr(constraint, "start_date", None)
        if start is not None:
            if day >= start:
                return cond.prices, windows
            continue
        windows.append(cond)
    return conditionals[0].prices, windows


def _rates(price: Any, what: str) -> tuple[dict[str, Any], list[str]]:
    """Carried rates (Decimal or TieredPrices) of a genai-prices ModelPrice, and the keys left out."""
    carried: dict[str, Any] = {}
    left_out: list[str] = []
    for key, value in vars(price).items():
        if key.startswith("_") or value is None:
            continue
        if key in CARRIED:
            carried[CARRIED[key]] = value
        elif _OTHER_USAGE.match(key):
            left_out.append(key)
        else:
            raise BadInputError(f"{what}: genai-prices prices it by {key!r}, which tokencost's price format cannot "
                                f"hold; add the model to a price file of your own")
    for needed in ("input", "output"):
        if needed not in carried:
            raise BadInputError(f"{what}: genai-prices gives no {needed} token rate; add the model to a price file "
                                f"of your own")
    return carried, left_out


def _tiered(carried: dict[str, Any], what: str) -> tuple[dict[str, Decimal], list[Tier]]:
    """Base rates and ``whole_request`` tiers from rates some of which are genai-prices TieredPrices."""
    from genai_prices.types import TieredPrices

    base = {k: (v.base if isinstance(v, TieredPrices) else v) for k, v in carried.items()}
    starts = sorted({t.start for v in carried.values() if isinstance(v, TieredPrices) for t in v.tiers})
    if starts and starts[0] <= 0:
        raise BadInputError(f"{what}: genai-prices has a price tier starting at {starts[0]} tokens, which "
                            f"tokencost's price format cannot hold")
    tiers = []
    for start in starts:
        rates = {}
        for key, value in carried.items():
            rate = base[key]
            if isinstance(value, TieredPrices):
                for tier in sorted(value.tiers, key=lambda t: t.start):
                    if tier.start <= start:
                        rate = tier.price
            rates[key] = rate
        tiers.append(Tier(above_prompt_tokens=start, rule="whole_request", **rates))
    return base, tiers


def _period(model: Any, day: dt.date, what: str, source: str, checked: dt.date, version: str) -> PricePeriod:
    price, windows = _prices_on(model, day)
    carried, left_out = _rates(price, what)
    base, tiers = _tiered(carried, what)
    notes = [f"price from genai-prices {version} (fallback, not curated)",
             "checked date: the newest date recorded in genai-prices' bundled data (it records no data date)"]
    service_tiers: dict[str, ServiceTier] = {}
    if windows:
        peak, peak_left_out = _rates(windows[0].prices, what)
        hours = []
        for window in windows:
            if _rates(window.prices, what)[0] != peak or not hasattr(window.constraint, "start_time"):
                raise BadInputError(f"{what}: genai-prices prices it by time of day in a way tokencost's price "
                                    f"format cannot hold; add the model to a price file of your own")
            hours.append(f"{window.constraint.start_time:%H:%M}-{window.constraint.end_time:%H:%M}")
        peak_base, peak_tiers = _tiered(peak, what)
        cheaper = set(peak_base) == set(base) and all(base[k] <= peak_base[k] for k in base)
        if tiers or peak_tiers or not cheaper:
            raise BadInputError(f"{what}: genai-prices prices it by time of day in a way tokencost's price "
                                f"format cannot hold; add the model to a price file of your own")
        service_tiers["off-peak"] = ServiceTier(**base)
        notes.append(f"rates are the peak-hour rates (UTC {', '.join(sorted(hours))}); other hours: service tier "
                     f"'off-peak'")
        base, left_out = peak_base, sorted(set(left_out) | set(peak_left_out))
    if left_out:
        notes.append(f"genai-prices also lists {', '.join(sorted(left_out))}: usage tokencost does not price")
    return PricePeriod(
        effective=day, unit="1M", currency="USD", **base, tiers=tiers, service_tiers=service_tiers,
        source=source, checked=checked, note="; ".join(notes),
    )


def _boundaries(model: Any) -> list[dt.date]:
    starts = {c.constraint.start_date for c in _conditionals(model)
              if getattr(c.constraint, "start_date", None) is not None}
    return [FIRST_PERIOD_START, *sorted(d for d in starts if d > FIRST_PERIOD_START)]


_ENTRIES: dict[tuple[int, int], tuple[Provider, ModelEntry] | BadInputError] = {}


def _entry(provider: Any, model: Any) -> tuple[Provider, ModelEntry]:
    """The tokencost provider and model entry (all price periods) for a genai-prices model, memoised
    by identity (genai-prices' objects live as long as its bundled data)."""
    key = (id(provider), id(model))
    if key not in _ENTRIES:
        try:
            _ENTRIES[key] = _build_entry(provider, model)
        except BadInputError as exc:
            _ENTRIES[key] = exc
    result = _ENTRIES[key]
    if isinstance(result, BadInputError):
        raise result
    return result


def _build_entry(provider: Any, model: Any) -> tuple[Provider, ModelEntry]:
    data = _data()
    owner = _owner(model, provider)
    what = f"{provider.id}:{model.id}"
    source = _source(owner)
    periods: list[PricePeriod] = []
    for day in _boundaries(model):
        period = _period(model, day, what, source, data.checked, data.version)
        if periods and _same_rates(periods[-1], period):
            continue
        periods.append(period)
    notes = []
    window = model.context_window
    top_tier = max((t.above_prompt_tokens for p in periods for t in p.tiers), default=0)
    if window is not None and top_tier >= window:
        notes.append(f"genai-prices gives a {window:,}-token context window but prices prompts over "
                     f"{top_tier:,} tokens (a long-context option): prompt length not checked")
        window = None
    elif window is None:
        notes.append("context window unknown to genai-prices: prompt length not checked")
    if model.deprecated:
        notes.append("genai-prices marks it deprecated")
    variants = sorted({f"{k}={v}" for variant in model.price_variants or () for k, v in variant.when.items()})
    if variants:
        notes.append(f"genai-prices' request variants ({', '.join(variants)}) are not carried: standard rates only")
    entry = ModelEntry(
        id=_clean_id(model.id), name=model.name or model.id, tokenizer=_tokenizer_for(owner.id, model.id),
        context_window=window or UNKNOWN_CONTEXT_WINDOW, note="; ".join(notes), prices=periods,
    )
    info = Provider(id=_clean_id(provider.id), name=provider.name, homepage=_source(provider),
                    note=f"from genai-prices {data.version} (fallback, not curated)")
    return info, entry


def _same_rates(a: PricePeriod, b: PricePeriod) -> bool:
    skip = {"effective"}
    return a.model_dump(exclude=skip) == b.model_dump(exclude=skip)


def _tokenizer_for(provider_id: str, model_id: str) -> str:
    """A known tokenizer when the model is unmistakably one tokencost counts; else ``approx:chars``."""
    name = model_id.lower().rsplit("/", 1)[-1]
    openai = provider_id in ("openai", "azure") or model_id.lower().startswith("openai/")
    if openai and re.match(r"^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o1|o3|o4)", name):
        return "o200k_base"
    if openai and re.match(r"^(gpt-4|gpt-3\.5)", name):
        return "cl100k_base"
    if re.match(r"^(meta-)?llama-?3", name):
        return "llama3"
    if re.match(r"^(meta-)?llama-?4", name):
        return "llama4"
    if "claude" in name:
        return "approx:claude"
    if name.startswith(("gemini", "gemma")):
        return "approx:gemini"
    if name.startswith("phi-"):
        return "approx:phi"
    return "approx:chars"


# --- public -----------------------------------------------------------------------------------


def _period_on(entry: ModelEntry, as_of: dt.date | None) -> PricePeriod | None:
    day = as_of or dt.date.today()
    in_force = [p for p in entry.prices if p.effective <= day]
    return in_force[-1] if in_force else None


def fallback_priced(ref: str, as_of: dt.date | None = None) -> Priced | None:
    """``ref`` priced on ``as_of`` (default today) from genai-prices' bundled data.

    ``ref`` may be ``provider:model`` with genai-prices' provider ids (``deepseek:deepseek-chat``,
    ``x-ai:grok-4``), a bare model id, or an OpenRouter-style ``vendor/model`` id.  None when
    genai-prices does not know the model; :class:`BadInputError` when it does but its price
    cannot be held without mis-pricing, or when genai-prices is not installed.  Call it only
    after the curated registry failed to find ``ref``: curated entries always win.
    """
    if not isinstance(ref, str):
        raise BadInputError(f"model id must be a string, not {type(ref).__name__}")
    if as_of is not None and (not isinstance(as_of, dt.date) or isinstance(as_of, dt.datetime)):
        raise BadInputError(f"as_of must be a date, not {as_of!r}")
    found = _find(ref)
    if found is None:
        return None
    info, entry = _entry(*found)
    day = as_of or dt.date.today()
    period = _period_on(entry, day)
    if period is None:
        raise BadInputError(f"{info.id}:{entry.id} has no price in force on {day}")
    return Priced(info, entry, period, None, day, fallback=_label())


def _all_entries() -> Iterator[tuple[Any, str, tuple[Provider, ModelEntry] | BadInputError]]:
    for provider in _data().providers:
        for model in provider.models:
            try:
                yield model, f"{provider.id}:{model.id}", _entry(provider, model)
            except BadInputError as exc:
                yield model, f"{provider.id}:{model.id}", exc


def fallback_models(as_of: dt.date | None = None) -> list[Priced]:
    """Every genai-prices model this module can price on ``as_of``, sorted by key.

    Listed under a ``provider:model`` key that :func:`fallback_priced` resolves back to the same
    model; genai-prices models whose own id does not match them (a few Bedrock profiles) are
    reachable only by the names they match, and are not listed.
    """
    day = as_of or dt.date.today()
    out = []
    for model, _, result in _all_entries():
        if isinstance(result, BadInputError):
            continue
        info, entry = result
        found = _find(f"{info.id}:{entry.id}")
        if found is None or found[1] is not model:
            continue
        period = _period_on(entry, day)
        if period is not None:
            out.append(Priced(info, entry, period, None, day, fallback=_label()))
    return sorted(out, key=lambda p: p.key)


def fallback_refusals() -> Mapping[str, str]:
    """genai-prices models refused (``provider:model`` as genai-prices spells it -> the reason)."""
    return {key: str(result) for _, key, result in _all_entries() if isinstance(result, BadInputError)}


def fallback_source(priced: Priced) -> str | None:
    """``"genai-prices X.Y.Z: <provider page>"`` for a fallback price (None for a curated one), for
    outputs that show a price's source in one string."""
    return f"{priced.fallback}: {priced.source}" if priced.fallback else None


def _label() -> str:
    return f"genai-prices {_data().version}"
