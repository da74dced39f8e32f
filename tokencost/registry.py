"""The price registry: shipped price files plus the user's, looked up by id.

Shipped files load first, then every file on ``TOKENCOST_PRICING_PATH`` (an
``os.pathsep``-separated list of files or directories), then files passed in
``extra_paths``.  A later file's model replaces an earlier file's model with
the same ``provider:id`` whole; its conversions replace same-unit conversions.
Shipped files are never written.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from .errors import BadInputError, PriceFileError, UnknownModelError
from .schema import UNIT_TOKENS, Conversion, ModelEntry, PriceFile, PricePeriod, Provider

PRICING_PATH_ENV = "TOKENCOST_PRICING_PATH"

M = TypeVar("M", bound=BaseModel)

#: Rate fields of a price period, in the order outputs show them.
RATE_FIELDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h", "batch_input", "batch_output")


def shipped_pricing_dir() -> Path:
    """Where the shipped price files are: inside the wheel, or ``pricing/`` of a checkout."""
    packaged = resources.files("tokencost") / "pricing"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "pricing"


def per_tokens(value: Decimal, unit: str, tokens: int) -> Decimal:
    """Convert a rate quoted per ``unit`` ("1K"/"1M") to a rate per ``tokens`` tokens, exactly."""
    quoted = UNIT_TOKENS[unit]
    return value * tokens / quoted if tokens % quoted else value * (tokens // quoted)


@dataclass(frozen=True)
class Priced:
    """A model with the price period in force on a date.  Rates are ``Decimal``."""

    provider_info: Provider
    model: ModelEntry
    period: PricePeriod
    conversion: Conversion | None
    origin: Path

    @property
    def provider(self) -> str:
        return self.provider_info.id

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.model.id}"

    @property
    def name(self) -> str:
        return self.model.name

    @property
    def tokenizer(self) -> str:
        return self.model.tokenizer

    @property
    def family(self) -> str | None:
        return self.model.family

    @property
    def context_window(self) -> int:
        return self.model.context_window

    @property
    def currency(self) -> str:
        return self.period.currency

    @property
    def effective(self) -> dt.date:
        return self.period.effective

    @property
    def as_of(self) -> dt.date:
        """The date this price was last checked against its source."""
        return self.period.checked

    @property
    def source(self) -> str:
        return self.period.source

    def rate(self, name: str, per: int = 1_000_000) -> Decimal | None:
        """Rate ``name`` (e.g. ``"cache_read"``) per ``per`` tokens in the period's currency."""
        value = getattr(self.period, name)
        return None if value is None else per_tokens(value, self.period.unit, per)

    def rate_usd(self, name: str, per: int = 1_000_000) -> Decimal | None:
        """Like :meth:`rate`, converted to USD with the provider's stated conversion."""
        value = self.rate(name, per)
        return None if value is None else value * self.usd_per_unit

    @cached_property
    def usd_per_unit(self) -> Decimal:
        """USD per one unit of the period's currency (1 for USD, the conversion rate for credits)."""
        if self.currency == "USD":
            return Decimal(1)
        if self.conversion is not None and self.conversion.to == "USD":
            return self.conversion.rate
        raise BadInputError(
            f"{self.key}: prices are in {self.currency} and there is no conversion to USD; "
            f"add a [[conversions]] entry with --pricing"
        )

    input_per_1k = property(lambda self: self.rate("input", 1_000))
    output_per_1k = property(lambda self: self.rate("output", 1_000))
    input_per_1m = property(lambda self: self.rate("input"))
    output_per_1m = property(lambda self: self.rate("output"))
    cache_read_per_1m = property(lambda self: self.rate("cache_read"))
    cache_write_per_1m = property(lambda self: self.rate("cache_write"))
    input_per_1m_usd = property(lambda self: self.rate_usd("input"))
    output_per_1m_usd = property(lambda self: self.rate_usd("output"))


@dataclass
class _Model:
    provider: Provider
    entry: ModelEntry
    origin: Path


@dataclass
class Registry:
    """All known models, keyed by ``provider:id``.  Build it with :func:`load_registry`.

    Shipped files are parsed when first needed (a ``provider:model`` lookup parses only that
    provider's file); the user's files are parsed at once and always win over shipped entries.
    """

    files: list[Path] = field(default_factory=list)
    _providers: dict[str, Provider] = field(default_factory=dict)
    _conversions: dict[tuple[str, str], list[Conversion]] = field(default_factory=dict)
    _models: dict[str, _Model] = field(default_factory=dict)
    _deferred: dict[str, Path] = field(default_factory=dict)

    def add(self, price_file: PriceFile, origin: Path, *, shipped: bool = False) -> None:
        """Add a parsed file; a shipped file never replaces what a user file defined."""
        provider = price_file.provider
        self.files.append(origin)
        put = dict.setdefault if shipped else dict.__setitem__
        put(self._providers, provider.id, provider)
        by_unit: dict[str, list[Conversion]] = {}
        for conversion in price_file.conversions:
            by_unit.setdefault(conversion.unit, []).append(conversion)
        for unit, dated in by_unit.items():
            dated.sort(key=lambda c: c.effective or dt.date.min)
            put(self._conversions, (provider.id, unit), dated)
        for entry in price_file.models:
            put(self._models, f"{provider.id}:{entry.id}", _Model(provider, entry, origin))
        self.__dict__.pop("_index", None)

    def defer(self, path: Path) -> None:
        """Register a shipped file (named ``<provider id>.toml``) to parse when first needed."""
        self._deferred[path.stem] = path

    def _load(self, provider_id: str | None = None) -> None:
        """Parse the deferred shipped file of ``provider_id`` (all of them when ``None``)."""
        wanted = list(self._deferred) if provider_id is None else [provider_id] if provider_id in self._deferred else []
        problems: list[str] = []
        for pid in wanted:
            path = self._deferred.pop(pid)
            try:
                self.add(read_price_file(path), path, shipped=True)
            except PriceFileError as exc:
                problems.extend(exc.problems)
        if problems:
            raise PriceFileError(problems)

    @property
    def providers(self) -> list[Provider]:
        self._load()
        return sorted(self._providers.values(), key=lambda p: p.id)

    def provider(self, provider_id: str) -> Provider:
        pid = provider_id.lower()
        self._load(pid)
        if pid not in self._providers:
            self._load()
            raise UnknownModelError(f"unknown provider {provider_id!r}" + _did_you_mean(pid, self._providers))
        return self._providers[pid]

    def keys(self) -> list[str]:
        self._load()
        return sorted(self._models)

    def models(self, provider: str | None = None, as_of: dt.date | None = None) -> list[Priced]:
        """Every model (of one provider) priced on ``as_of`` (default today).

        Models not yet priced then, or retired by then, are left out.
        """
        if provider is not None:
            self.provider(provider)
        day = as_of or dt.date.today()
        out = []
        for key in self.keys():
            model = self._models[key]
            if provider is not None and model.provider.id != provider.lower():
                continue
            retired = model.entry.retired
            period = _period_on(model.entry, day)
            if period is not None and (retired is None or day < retired):
                out.append(self._priced(model, period, day))
        return out

    def get(self, ref: str, as_of: dt.date | None = None) -> Priced:
        """Look up ``provider:model``, a bare model id or an alias, priced on ``as_of`` (default today).

        A bare id also matches every host's entry of that ``family``; when several
        providers match, the maker's own entry (the one without ``family``) wins,
        and with no single maker the error lists the candidates.  A model asked for on or
        after its ``retired`` date is an error that says when it retired.
        """
        model = self._models[self.resolve(ref)]
        day = as_of or dt.date.today()
        retired = model.entry.retired
        if retired is not None and day >= retired:
            raise BadInputError(
                f"{model.provider.id}:{model.entry.id} was retired on {retired}; "
                f"price usage dated before then, or choose a model still offered"
            )
        period = _period_on(model.entry, day)
        if period is None:
            first = model.entry.prices[0].effective
            raise BadInputError(
                f"{model.provider.id}:{model.entry.id} has no price in force on {day}; "
                f"its first price period starts {first}"
            )
        return self._priced(model, period, day)

    def resolve(self, ref: str) -> str:
        """The ``provider:id`` key ``ref`` names, or :class:`UnknownModelError`."""
        text = ref.strip().lower()
        if not text:
            raise UnknownModelError("empty model id")
        if ":" in text:
            provider, _, name = text.partition(":")
            self._load(provider)
            if provider not in self._providers:
                if text.replace(":", "-") in self._index:  # a bare id with ':' (Bedrock's "...-v1:0")
                    return self.resolve(text.replace(":", "-"))
                raise UnknownModelError(
                    f"unknown provider {provider!r} in {ref!r}" + _did_you_mean(provider, self._providers)
                )
            name = name.replace(":", "-")
            own = {k: m for k, m in self._models.items() if m.provider.id == provider}
            hits = [k for k, m in sorted(own.items()) if name in (m.entry.id, *m.entry.aliases)]
            hits = hits or [k for k, m in sorted(own.items()) if name == m.entry.family]
            if hits:
                return hits[0]
            raise UnknownModelError(f"unknown model {ref!r}" + _did_you_mean(text, own))
        hits = self._index.get(text, [])
        if len(hits) == 1:
            return hits[0]
        if not hits:
            candidates = list(self._models) + list(self._index)
            raise UnknownModelError(f"unknown model {ref!r}" + _did_you_mean(text, candidates))
        makers = [k for k in hits if self._models[k].entry.family is None]
        if len(makers) == 1:
            return makers[0]
        raise UnknownModelError(
            f"model {ref!r} is ambiguous: it could be {', '.join(sorted(hits))}; name one with provider:model"
        )

    @cached_property
    def _index(self) -> dict[str, list[str]]:
        """Every id, alias and family name, to the keys it names (parses every file)."""
        self._load()
        index: dict[str, list[str]] = {}
        for key, model in sorted(self._models.items()):
            for name in {model.entry.id, *model.entry.aliases, model.entry.family} - {None}:
                index.setdefault(name, []).append(key)
        return index

    def _priced(self, model: _Model, period: PricePeriod, day: dt.date) -> Priced:
        conversion = _conversion_on(self._conversions.get((model.provider.id, period.currency), []), day)
        return Priced(model.provider, model.entry, period, conversion, model.origin)


def _period_on(entry: ModelEntry, as_of: dt.date | None) -> PricePeriod | None:
    day = as_of or dt.date.today()
    in_force = [p for p in entry.prices if p.effective <= day]
    return in_force[-1] if in_force else None


def _conversion_on(conversions: list[Conversion], day: dt.date) -> Conversion | None:
    """The conversion in force on ``day`` (an undated one applies until a dated one starts)."""
    in_force = [c for c in conversions if c.effective is None or c.effective <= day]
    return in_force[-1] if in_force else None


def _did_you_mean(text: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(text.lower(), sorted(set(candidates)), n=3, cutoff=0.6)
    if not close:
        bare = text.rsplit(":", 1)[-1]
        close = sorted({c for c in candidates if bare and bare in c})[:3]
    return f"; did you mean {', '.join(close)}?" if close else ""


def read_toml_model(path: Path, cls: type[M]) -> M:
    """Parse a TOML data file (floats as ``Decimal``) into ``cls``; every problem names file, entry and field."""
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh, parse_float=Decimal)
    except OSError as exc:
        raise PriceFileError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PriceFileError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise PriceFileError([_describe(path, raw, err) for err in exc.errors()]) from None


def read_price_file(path: Path) -> PriceFile:
    """Parse and validate one price file."""
    return read_toml_model(path, PriceFile)


def _describe(path: Path, raw: dict, err: dict) -> str:
    loc = list(err["loc"])
    where = ""
    if len(loc) >= 2 and isinstance(loc[1], int) and isinstance(raw.get(loc[0]), list):
        entries = raw[loc[0]]
        entry = entries[loc[1]] if loc[1] < len(entries) else {}
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        kind = str(loc[0]).removesuffix("s")
        where = f"{kind} {entry_id!r}: " if entry_id else f"{loc[0]}[{loc[1]}]: "
        loc = loc[2:]
    field_path = ""
    for part in loc:
        field_path += f"[{part}]" if isinstance(part, int) else (f".{part}" if field_path else str(part))
    message = err["msg"]
    if err["type"] == "extra_forbidden":
        message = "unknown field (check the spelling against docs/pricing-format.md)"
    elif err["type"] == "missing":
        message = "required field is missing"
    return f"{path}: {where}{field_path or 'file'}: {message}"


def pricing_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and directories (``*.toml`` directly inside, sorted) into files."""
    out: list[Path] = []
    for item in paths:
        path = Path(item).expanduser()
        if path.is_dir():
            out.extend(sorted(p for p in path.glob("*.toml") if p.is_file()))
        elif path.exists():
            out.append(path)
        else:
            raise BadInputError(f"price file {str(path)!r} does not exist")
    return out


def user_pricing_paths() -> list[str]:
    value = os.environ.get(PRICING_PATH_ENV, "")
    return [p for p in value.split(os.pathsep) if p.strip()]


def load_registry(extra_paths: Sequence[str | os.PathLike[str]] = (), *, shipped: bool = True) -> Registry:
    """The shipped price files, then ``TOKENCOST_PRICING_PATH``, then ``extra_paths`` (later wins).

    The user's files are parsed now (raising :class:`PriceFileError` with every problem); the
    shipped ones when a lookup first needs them.
    """
    registry = Registry()
    if shipped:
        for path in pricing_files([shipped_pricing_dir()]):
            registry.defer(path)
    problems: list[str] = []
    for path in pricing_files([*user_pricing_paths(), *extra_paths]):
        try:
            registry.add(read_price_file(path), path)
        except PriceFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PriceFileError(problems)
    return registry


def validate_files(paths: Sequence[str | os.PathLike[str]]) -> list[str]:
    """Every problem in ``paths`` (all shipped files when empty), one line each."""
    files = pricing_files(paths or [shipped_pricing_dir()])
    problems: list[str] = []
    seen: dict[str, Path] = {}
    for path in files:
        try:
            price_file = read_price_file(path)
        except PriceFileError as exc:
            problems.extend(exc.problems)
            continue
        if not paths and price_file.provider.id in seen:
            problems.append(f"{path}: provider {price_file.provider.id!r} is also defined in {seen[price_file.provider.id]}")
        if not paths and path.stem != price_file.provider.id:
            problems.append(f"{path}: a shipped file must be named after its provider id ({price_file.provider.id}.toml)")
        seen[price_file.provider.id] = path
    return problems


def stale(registry: Registry, older_than_days: int, today: dt.date | None = None) -> list[Priced]:
    """Models whose current price was last checked more than ``older_than_days`` ago."""
    if older_than_days < 0:
        raise BadInputError(f"--older-than must be zero or more days, not {older_than_days}")
    day = today or dt.date.today()
    cutoff = day - dt.timedelta(days=older_than_days)
    return [p for p in registry.models(as_of=day) if p.as_of < cutoff]
