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
from typing import TYPE_CHECKING, Any, TypeVar

from ._cache import parsed_toml
from .errors import BadInputError, PriceFileError, UnknownModelError
from .priced import Priced, per_tokens

__all__ = ["Priced", "Registry", "default_models", "default_registry", "load_registry", "per_tokens", "stale",
           "validate_files"]

if TYPE_CHECKING:  # the schema (pydantic models) is imported when a file is first parsed
    from pydantic import BaseModel

    from .schema import Conversion, ModelEntry, PriceFile, PricePeriod, Provider

PRICING_PATH_ENV = "TOKENCOST_PRICING_PATH"
FALLBACK_ENV = "TOKENCOST_FALLBACK_PRICES"
#: The fallback price databases a user can opt in to.
FALLBACKS = ("genai-prices",)

M = TypeVar("M", bound="BaseModel")

#: Rate fields of a price period, in the order outputs show them (the schema declares them).
RATE_FIELDS = ("input", "output", "cache_read", "cache_write", "cache_write_1h", "batch_input", "batch_output")


def shipped_pricing_dir() -> Path:
    """Where the shipped price files are: inside the wheel, or ``pricing/`` of a checkout."""
    packaged = resources.files("tokencost") / "pricing"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "pricing"


@dataclass
class _Model:
    provider: Provider
    entry: ModelEntry
    origin: Path
    #: Names that resolve to this entry: its id and aliases, plus a shipped entry's aliases that a
    #: user override did not repeat (an override changes prices, never what other names mean).
    names: frozenset[str] = frozenset()


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
    _by_provider: dict[str, dict[str, str]] = field(default_factory=dict)
    _resolved: dict[str, str] = field(default_factory=dict)  # what each ref typed so far resolved to
    #: Where to price a model the curated files lack (``"genai-prices"``), or None: unknown is an error.
    fallback: str | None = None

    def add(self, price_file: PriceFile, origin: Path, *, shipped: bool = False) -> None:
        """Add a parsed file; a shipped file never replaces what a user file defined."""
        provider = price_file.provider
        self.files.append(origin)
        put = dict.setdefault if shipped else dict.__setitem__
        put(self._providers, provider.id, provider)
        by_unit: dict[str, list[Conversion]] = {}
        for conversion in price_file.conversions:
            by_unit.setdefault(conversion.billing_unit, []).append(conversion)
        for unit, dated in by_unit.items():
            dated.sort(key=lambda c: c.effective or dt.date.min)
            put(self._conversions, (provider.id, unit), dated)
        for entry in price_file.models:
            key = f"{provider.id}:{entry.id}"
            names = {entry.id, *entry.aliases}
            if key in self._models:  # the other side of an override: keep every name either gave
                names |= self._models[key].names
            if shipped and key in self._models:
                self._models[key].names = frozenset(names)
            else:
                self._models[key] = _Model(provider, entry, origin, frozenset(names))
        self._by_provider.clear()
        self._resolved.clear()
        self.__dict__.pop("_index", None)

    def defer(self, path: Path) -> None:
        """Register a shipped file (named ``<provider id>.toml``) to parse when first needed."""
        self._deferred[path.stem.lower()] = path

    def _load(self, provider_id: str | None = None) -> None:
        """Parse the deferred shipped file of ``provider_id`` (all of them when ``None``)."""
        if not self._deferred:
            return
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
        pid = _text(provider_id, "provider").strip().lower()
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
        day = _day(as_of)
        pid = self.provider(provider).id if provider is not None else None
        out = []
        for key in self.keys():
            model = self._models[key]
            if pid is not None and model.provider.id != pid:
                continue
            retired = model.entry.retired
            period = _period_on(model.entry, day)
            if period is not None and (retired is None or day < retired):
                out.append(self._priced(model, period, day))
        return out

    def earliest(self) -> dt.date | None:
        """The first date any model has a price."""
        self._load()
        dates = [m.entry.prices[0].effective for m in self._models.values()]
        return min(dates) if dates else None

    def get(self, ref: str, as_of: dt.date | None = None) -> Priced:
        """Look up ``provider:model``, a bare model id or an alias, priced on ``as_of`` (default today).

        A bare id also matches every host's entry of that ``family``; when several
        providers match, the maker's own entry (the one without ``family``) wins,
        and with no single maker the error lists the candidates.  A model asked for on or
        after its ``retired`` date is an error that says when it retired.
        """
        day = _day(as_of)
        try:
            key = self.resolve(ref)
        except UnknownModelError:
            found = self._fallback(ref, day)
            if found is None:
                raise
            return found
        model = self._models[key]
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

    def history(self, ref: str) -> list[tuple[Priced, dt.date | None]]:
        """Every price the model had, oldest first: ``(priced on the day it started, the day it ended)``.

        A new segment starts with each price period and each change of the provider's conversion
        to USD; the last ends on the model's retirement (``None``: still in force).
        """
        model = self._models[self.resolve(ref)]
        periods = model.entry.prices
        starts = {p.effective for p in periods}
        for (pid, _), dated in self._conversions.items():
            if pid == model.provider.id:
                starts |= {c.effective for c in dated if c.effective and c.effective > periods[0].effective}
        end = model.entry.retired
        days = sorted(d for d in starts if end is None or d < end)
        out = []
        for i, day in enumerate(days):
            period = _period_on(model.entry, day)
            if period is not None:
                out.append((self._priced(model, period, day), days[i + 1] if i + 1 < len(days) else end))
        return out

    def resolve(self, ref: str) -> str:
        """The ``provider:id`` key ``ref`` names, or :class:`UnknownModelError`."""
        key = self._resolved.get(ref) if isinstance(ref, str) else None
        if key is None:
            key = self._resolve(ref)
            self._resolved[ref] = key
        return key

    def tokenizer_of(self, ref: str) -> str:
        """The tokenizer name of the model ``ref`` names (any date: a model keeps its tokenizer)."""
        try:
            return self._models[self.resolve(ref)].entry.tokenizer
        except UnknownModelError:
            found = self._fallback(ref, None)
            if found is None:
                raise
            return found.tokenizer

    def _fallback(self, ref: str, day: dt.date | None) -> Priced | None:
        """``ref`` from the opted-in fallback database (curated entries were looked up first)."""
        if self.fallback is None:
            return None
        from .fallback import fallback_priced  # genai-prices' data loads only when a model is missing

        return fallback_priced(ref, day)

    def _resolve(self, ref: str) -> str:
        text = _text(ref, "model id").strip().lower()
        if not text:
            raise UnknownModelError("empty model id")
        if ":" in text:
            provider, _, name = text.partition(":")
            provider = provider.strip()
            self._load(provider)
            if provider not in self._providers:
                if text.replace(":", "-") in self._index:  # a bare id with ':' (Bedrock's "...-v1:0")
                    return self._resolve(text.replace(":", "-"))
                raise UnknownModelError(
                    f"unknown provider {provider!r} in {ref!r}" + _did_you_mean(provider, self._providers)
                )
            own = self._provider_index(provider)
            hit = own.get(name.strip().replace(":", "-").replace("@", "-"))  # Vertex logs: "model@date"
            if hit is not None:
                return hit
            raise UnknownModelError(f"unknown model {ref!r}" + _did_you_mean(text, own))
        hits = self._index.get(text) or self._index.get(text.replace("@", "-"), [])
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

    def _provider_index(self, provider: str) -> dict[str, str]:
        """One provider's ids and aliases (then families) to keys, built once per provider."""
        index = self._by_provider.get(provider)
        if index is None:
            index = {}
            own = sorted((k, m) for k, m in self._models.items() if m.provider.id == provider)
            for key, model in own:
                if model.entry.family:
                    index.setdefault(model.entry.family, key)
            for key, model in own:
                for name in sorted(model.names):
                    index[name] = key
            self._by_provider[provider] = index
        return index

    @cached_property
    def _index(self) -> dict[str, list[str]]:
        """Every id, alias and family name, to the keys it names (parses every file)."""
        self._load()
        index: dict[str, list[str]] = {}
        for key, model in sorted(self._models.items()):
            for name in sorted(model.names | ({model.entry.family} - {None})):
                index.setdefault(name, []).append(key)
        return index

    def _priced(self, model: _Model, period: PricePeriod, day: dt.date) -> Priced:
        conversion = _conversion_on(self._conversions.get((model.provider.id, period.currency), []), day)
        return Priced(model.provider, model.entry, period, conversion, day)


def default_models(registry: Registry, as_of: dt.date | None = None) -> list[Priced]:
    """The default comparison set: the models the price files mark ``compare = true``."""
    return [p for p in registry.models(as_of=as_of) if p.model.compare]


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise BadInputError(f"a {what} must be text, not {type(value).__name__} {value!r}")
    return value


def _day(as_of: object) -> dt.date:
    """``as_of`` checked: a ``datetime.date`` (today when None)."""
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.datetime):
        return as_of.date()
    if not isinstance(as_of, dt.date):
        raise BadInputError(f"as_of must be a datetime.date, not {type(as_of).__name__} {as_of!r}")
    return as_of


def _period_on(entry: ModelEntry, day: dt.date) -> PricePeriod | None:
    found = None
    for period in entry.prices:  # ascending by effective date (the schema checks)
        if period.effective > day:
            break
        found = period
    return found


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
    from pydantic import ValidationError

    try:
        raw = parsed_toml(Path(path), _read_toml)
    except OSError as exc:
        raise PriceFileError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    except UnicodeDecodeError as exc:
        raise PriceFileError([f"{path}: not a UTF-8 text file (invalid byte at offset {exc.start})"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise PriceFileError([f"{path}: not valid TOML: {exc}"]) from None
    try:
        return cls.model_validate(raw)
    except ValidationError as exc:
        raise PriceFileError([_describe(path, raw, err) for err in exc.errors()]) from None


def _read_toml(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        return tomllib.load(fh, parse_float=Decimal)


def read_price_file(path: Path) -> PriceFile:
    """Parse and validate one price file."""
    from .schema import PriceFile

    return read_toml_model(path, PriceFile)


def _describe(path: Path, raw: dict[str, Any], err: Any) -> str:
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
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        message = "unknown field (check the spelling against docs/pricing-format.md)"
    elif err["type"] == "missing":
        message = "required field is missing"
    return f"{path}: {where}{field_path or 'file'}: {message}"


def pricing_files(paths: Iterable[str | os.PathLike[str]]) -> list[Path]:
    """Expand files and directories (``*.toml``, any case, directly inside, sorted) into files."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out: list[Path] = []
    for item in paths:
        if not isinstance(item, (str, os.PathLike)):
            raise BadInputError(f"a price file path must be text, not {type(item).__name__} {item!r}")
        path = Path(item).expanduser()
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.suffix.lower() == ".toml" and p.is_file())
            if not found:
                raise BadInputError(f"no price files (*.toml) in the folder {str(path)!r}")
            out.extend(found)
        elif path.exists():
            out.append(path)
        else:
            raise BadInputError(f"price file {str(path)!r} does not exist")
    return out


def user_pricing_paths() -> list[str]:
    value = os.environ.get(PRICING_PATH_ENV, "")
    return [p for p in value.split(os.pathsep) if p.strip()]


#: The default registry and what it was built from (the user's files and their size and mtime).
_DEFAULT: tuple[tuple[Any, ...], Registry] | None = None


def _fingerprint(paths: list[Path]) -> tuple[Any, ...]:
    out = []
    for path in paths:
        try:
            st = path.stat()
            out.append((str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((str(path), None, None))
    return tuple(out)


def default_registry() -> Registry:
    """The process's registry of shipped prices plus ``TOKENCOST_PRICING_PATH``, built once.

    It is rebuilt when the variable, or any file it names, changes (size or modification time).
    """
    global _DEFAULT
    env = os.environ.get(PRICING_PATH_ENV, "")
    key = (env, _fingerprint(pricing_files(user_pricing_paths()))) if env.strip() else (env,)
    key = (*key, os.environ.get(FALLBACK_ENV, ""))
    if _DEFAULT is None or _DEFAULT[0] != key:
        _DEFAULT = (key, load_registry())
    return _DEFAULT[1]


def load_registry(extra_paths: Sequence[str | os.PathLike[str]] = (), *, shipped: bool = True,
                  fallback: str | None = None) -> Registry:
    """The shipped price files, then ``TOKENCOST_PRICING_PATH``, then ``extra_paths`` (later wins).

    The user's files are parsed now (raising :class:`PriceFileError` with every problem); the
    shipped ones when a lookup first needs them.  Each call builds a new registry; functions
    given no ``registry`` share :func:`default_registry`.  ``fallback="genai-prices"`` (or
    ``TOKENCOST_FALLBACK_PRICES=genai-prices``) prices a model the curated files lack from
    pydantic's genai-prices database, labelled as such; curated entries always win.
    """
    if extra_paths is None or isinstance(extra_paths, (bytes, int, float)):
        raise BadInputError(f"extra price files must be a list of paths, not {extra_paths!r}")
    chosen = fallback if fallback is not None else (os.environ.get(FALLBACK_ENV, "").strip() or None)
    if chosen is not None and chosen not in FALLBACKS:
        raise BadInputError(f"unknown fallback price database {chosen!r}; the one there is: {', '.join(FALLBACKS)}")
    registry = Registry(fallback=chosen)
    if shipped:
        for path in pricing_files([shipped_pricing_dir()]):
            registry.defer(path)
    problems: list[str] = []
    for path in pricing_files([*user_pricing_paths(), *pricing_paths(extra_paths)]):
        try:
            registry.add(read_price_file(path), path)
        except PriceFileError as exc:
            problems.extend(exc.problems)
    if problems:
        raise PriceFileError(problems)
    return registry


def pricing_paths(paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]]) -> list[str | os.PathLike[str]]:
    """One path or many, as a list."""
    return [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)


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


#: ``stale`` looks back at most this many days (before that there are no LLM prices to check).
MAX_STALE_DAYS = 36_500


def stale(registry: Registry, older_than_days: int, today: dt.date | None = None) -> list[Priced]:
    """Models whose current price was last checked more than ``older_than_days`` ago."""
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) \
            or not 0 <= older_than_days <= MAX_STALE_DAYS:
        raise BadInputError(f"the age must be a whole number of days from 0 to {MAX_STALE_DAYS}, not {older_than_days!r}")
    day = _day(today)
    cutoff = day - dt.timedelta(days=older_than_days)
    return [p for p in registry.models(as_of=day) if p.checked < cutoff]
