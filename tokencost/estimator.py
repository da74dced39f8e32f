"""What a prompt costs: on one model (:func:`estimate`), on many (:func:`compare`), and what a
trim saves (:func:`trim_saving`).

Every path builds a :class:`~tokencost.usage.Usage` (token counts plus price-list options) and
prices it through :func:`tokencost.pricing.price_usage`, the path of known token counts; text is
counted once per tokenizer by :mod:`tokencost.counting`.  Money is ``Decimal`` in US dollars, converted from credits or DBUs with
the registry's stated conversion where a provider bills in its own unit.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from .counting import count_prompt
from .errors import BadInputError, ContextWindowError
from .pricing import check_fits, price, price_usage
from .registry import Priced, Registry, default_models, default_registry
from .results import Comparison, Estimate, TrimResult, to_dataframe
from .tokenizers import preload
from .usage import MAX_REQUESTS, Usage

__all__ = ["ARTICLE_CLAIM", "Comparison", "Estimate", "TrimResult", "check_fits", "compare", "default_models",
           "estimate", "price", "price_usage", "to_dataframe", "trim_saving", "volume"]

#: Text, a text file (streamed, never read whole) or a list of chat messages.
Prompt = str | os.PathLike[str] | Sequence[dict[str, Any]]

#: Keywords that text-based calls accept besides the :class:`Usage` fields: ``prompt_tokens``
#: (the prompt's count, when there is no text) and ``response_tokens`` (the visible response).
_EXTRA_FIELDS = ("prompt_tokens", "response_tokens")


def volume(requests_per_day: int | None = None, days: int | None = None) -> int:
    """Requests in a projection of ``requests_per_day`` over ``days`` (default 30 days)."""
    if requests_per_day is None and days is None:
        return 1
    for name, value in (("requests per day", requests_per_day), ("days", days)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            raise BadInputError(f"{name} must be a whole number >= 1, not {value!r}")
    if days is not None and days > 36_600:
        raise BadInputError(f"{days} days is more than a century; check the number of days")
    requests = (requests_per_day or 1) * (days or 30)
    if requests > MAX_REQUESTS:
        raise BadInputError(f"{requests:,} requests is beyond any real traffic (limit {MAX_REQUESTS:,}); check the volume")
    return requests


# --- text ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    """What the caller asked for, before any text is counted."""

    options: dict[str, Any]  # Usage fields other than input_tokens (and output_tokens unless given)
    input_tokens: int | None  # given instead of a prompt
    response: str | None
    response_tokens: int | None  # visible response, given
    response_ratio: Decimal | None

    def get(self, name: str) -> Any:
        return self.options.get(name, Usage.model_fields[name].default)


def _request(prompt: Prompt | None, usage: Usage | None, response: str | None,
             response_ratio: float | Decimal | None, fields: dict[str, Any]) -> _Request:
    unknown = set(fields) - set(Usage.model_fields) - set(_EXTRA_FIELDS)
    if unknown:
        raise BadInputError(f"unknown option {sorted(unknown)[0]!r}; the options are the fields of tokencost.Usage")
    if usage is not None and not isinstance(usage, Usage):
        raise BadInputError(f"usage must be a tokencost.Usage, not {type(usage).__name__}")
    if usage is not None and fields:
        raise BadInputError("give the request either as usage=Usage(...) or as keywords, not both")
    given = dict(fields) if usage is None else usage.model_dump(exclude_unset=True)
    input_tokens = given.pop("input_tokens", None)
    prompt_tokens = given.pop("prompt_tokens", None)
    if input_tokens is not None and prompt_tokens is not None:
        raise BadInputError("give input_tokens or prompt_tokens (the same count), not both")
    input_tokens = input_tokens if input_tokens is not None else prompt_tokens
    if prompt is not None and input_tokens is not None:
        raise BadInputError("give a prompt or its token count, not both")
    if prompt is None and input_tokens is None:
        raise BadInputError("give a prompt (text or chat messages) or its token count")
    if prompt is not None and not isinstance(prompt, (str, list, tuple, os.PathLike)):
        raise BadInputError(f"a prompt must be text, a file path or a list of chat messages, "
                            f"not {type(prompt).__name__}")
    response_tokens = given.pop("response_tokens", None)
    choices = [response is not None, response_tokens is not None, response_ratio is not None, "output_tokens" in given]
    if sum(choices) > 1:
        raise BadInputError("give one of response, response_tokens, response_ratio, output_tokens")
    if response is not None and not isinstance(response, str):
        raise BadInputError(f"a response must be text, not {type(response).__name__}")
    ratio = None
    if response_ratio is not None:
        ratio = _decimal(response_ratio, "response ratio")
        if not Decimal(0) <= ratio <= Decimal(100):
            raise BadInputError(f"the response ratio must be from 0 to 100, not {response_ratio}")
    # Check every value now, before any text is counted (the input count comes later).
    if input_tokens is not None:
        Usage(input_tokens=input_tokens)
    if response_tokens is not None:
        Usage(output_tokens=response_tokens)
    cache = {k: given[k] for k in ("cached_tokens", "cache_write_tokens") if k in given}
    Usage(**{**given, **{k: 0 for k in cache}, "output_tokens": given.get("output_tokens", given.get("reasoning_tokens", 0))})
    Usage(input_tokens=min(sum(v for v in cache.values() if isinstance(v, int)), 10**12), **cache)
    return _Request(given, input_tokens, response, response_tokens, ratio)


def _decimal(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise BadInputError(f"the {what} must be a number, not {value!r}")
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise BadInputError(f"the {what} must be a number, not {value!r}") from None
    if not number.is_finite():
        raise BadInputError(f"the {what} must be a finite number, not {value}")
    return number


def _usage_for(req: _Request, input_tokens: int, response_tokens: int | None) -> Usage:
    """The full usage once the prompt (and response) are counted for one tokenizer."""
    if "output_tokens" in req.options:
        return Usage(**{**req.options, "input_tokens": input_tokens})
    visible = response_tokens or 0
    if req.response_ratio is not None:
        visible = int((req.response_ratio * input_tokens).to_integral_value(ROUND_HALF_EVEN))
    return Usage(**{**req.options, "input_tokens": input_tokens, "output_tokens": visible + req.get("reasoning_tokens")})


@dataclass(frozen=True)
class _Target:
    """One row to price: a hosted model, or a self-hosted configuration priced like one."""

    label: str
    tokenizer: str
    image_rule: str | None
    price: Callable[[Usage, str, str], Estimate]


def _hosted(priced: Priced) -> _Target:
    return _Target(priced.key, priced.tokenizer, priced.model.image_rule,
                   lambda usage, count, basis: price_usage(priced, usage, count, basis))


class _Counter:
    """Counts each (text, tokenizer, image rule) once, however many models share the tokenizer.

    ``tools`` (OpenAI tool definitions) are counted with chat messages, as the API bills them.
    """

    def __init__(self, tools: Sequence[dict[str, Any]] | None = None) -> None:
        self._seen: dict[tuple[int, str, str | None], tuple[int, str, str]] = {}
        self._tools = tools

    def __call__(self, what: Prompt, tokenizer: str, image_rule: str | None = None) -> tuple[int, str, str]:
        key = (id(what), tokenizer, image_rule)
        if key not in self._seen:
            tools = self._tools if isinstance(what, (list, tuple)) else None
            self._seen[key] = count_prompt(what, tokenizer, image_rule=image_rule, tools=tools)
        return self._seen[key]


def _counted(prompt: Prompt | None, req: _Request, target: _Target, counter: _Counter) -> tuple[Usage, str, str]:
    if prompt is None:
        input_tokens, kind, basis = req.input_tokens, "exact", "token counts given by the caller"
    else:
        input_tokens, kind, basis = counter(prompt, target.tokenizer, target.image_rule)
    response_tokens = counter(req.response, target.tokenizer)[0] if req.response is not None else req.response_tokens
    return _usage_for(req, input_tokens, response_tokens), kind, basis


def _targets(prompt: Prompt | None, models: Sequence[str] | None, req: _Request, as_of: dt.date | None,
             registry: Registry, selfhost: bool) -> list[_Target]:
    if models is not None:
        if isinstance(models, str) or not isinstance(models, Sequence):
            raise BadInputError(f"models must be a list of model ids, not {type(models).__name__} {models!r}")
        if not models:
            raise BadInputError("the list of models is empty; name at least one (or pass None for the default set)")
        return [_hosted(registry.get(m, as_of=as_of)) for m in models]
    found = default_models(registry, as_of)
    if not found:
        earliest = registry.earliest()
        raise BadInputError(f"no model had a price on {as_of}; the earliest price in the registry is from {earliest}")
    targets = [_hosted(p) for p in found]
    plain = not any(req.get(k) for k in ("batch", "service_tier", "uplift", "cached_tokens", "cache_write_tokens"))
    if selfhost and prompt is not None and as_of is None and plain:
        from .selfhosted import selfhost_targets  # imports the self-host model only when needed

        targets += [_Target(label, tokenizer, None, fn) for label, tokenizer, fn in selfhost_targets()]
    return targets


def compare(prompt: Prompt | None, models: Sequence[str] | None = None, *, response: str | None = None,
            response_ratio: float | Decimal | None = None, usage: Usage | None = None,
            tools: Sequence[dict[str, Any]] | None = None, as_of: dt.date | None = None,
            registry: Registry | None = None, selfhost: bool = True, **fields: Any) -> Comparison:
    """What ``prompt`` (text or chat messages) costs on each of ``models``, cheapest first.

    The request's other counts and options are a :class:`Usage` (``usage=``) or its fields as
    keywords (``output_tokens``, ``cached_tokens``, ``batch``, ``requests``, ...); the response is
    ``response`` (text, counted), ``response_tokens`` (visible tokens; reasoning is added), or
    ``response_ratio`` times the prompt.  ``models=None`` is the default comparison set, with
    self-hosted Llama rows unless ``selfhost=False``, the request uses caching, batch or a service
    tier (which they do not model), or ``as_of`` asks for past prices.  In the default set a model
    whose context window the prompt does not fit is left out and named in ``left_out``; a model
    named in ``models`` must fit.  ``tools`` are OpenAI tool definitions sent with chat messages.
    """
    registry = registry or default_registry()
    req = _request(prompt, usage, response, response_ratio, fields)
    _check_tools(prompt, tools)
    targets = _targets(prompt, models, req, as_of, registry, selfhost)
    if prompt is not None or req.response is not None:
        preload(t.tokenizer for t in targets)  # the vocabularies not yet loaded, on every core
    counter = _Counter(tools)
    estimates: list[Estimate] = []
    left_out: list[str] = []
    for target in targets:
        usage_t, kind, basis = _counted(prompt, req, target, counter)
        if usage_t.output_tokens == 0 and target.label.startswith("self-hosted:"):
            continue  # nothing to decode: a self-hosted row would be all prefill
        try:
            estimates.append(target.price(usage_t, kind, basis))
        except ContextWindowError as exc:
            if models is not None:
                raise
            left_out.append(str(exc))
    if not estimates:
        raise BadInputError("no model in the comparison set can take this request: " + "; ".join(left_out))
    estimates.sort(key=lambda e: (e.total_cost, e.model))
    return Comparison(estimates, left_out)


def estimate(prompt: Prompt | None, model: str, *, response: str | None = None,
             response_ratio: float | Decimal | None = None, usage: Usage | None = None,
             tools: Sequence[dict[str, Any]] | None = None, as_of: dt.date | None = None,
             registry: Registry | None = None, **fields: Any) -> Estimate:
    """What ``prompt`` (text or chat messages) costs on ``model``; options as in :func:`compare`."""
    if not isinstance(model, str):
        raise BadInputError(f"a model id must be text, not {type(model).__name__} {model!r}")
    return compare(prompt, [model], response=response, response_ratio=response_ratio, usage=usage, tools=tools,
                   as_of=as_of, registry=registry, **fields)[0]


def _check_tools(prompt: Prompt | None, tools: Sequence[dict[str, Any]] | None) -> None:
    if tools is None:
        return
    if isinstance(tools, (str, bytes)) or not isinstance(tools, Sequence):
        raise BadInputError(f"tools must be a list of tool definitions, not {type(tools).__name__}")
    if not isinstance(prompt, (list, tuple)):
        raise BadInputError("tool definitions go with chat messages, not with a plain text prompt")


# --- trimming -------------------------------------------------------------------------------------


#: Percentages and ratios are rounded to this step (money itself is never rounded).
PCT = Decimal("0.0001")

ARTICLE_CLAIM = "a 10% reduction in token count can translate into up to a 15% cost saving"


def _trimmed(tokens: int, fraction: Decimal) -> int:
    return tokens - int((tokens * fraction).to_integral_value(ROUND_HALF_EVEN))


def trim_saving(prompt: Prompt | None, models: Sequence[str] | None = None, *,
                trim: float | Decimal = Decimal("0.10"), response_trim: float | Decimal = 0,
                response: str | None = None, response_ratio: float | Decimal | None = None,
                usage: Usage | None = None, tools: Sequence[dict[str, Any]] | None = None,
                as_of: dt.date | None = None, registry: Registry | None = None,
                selfhost: bool = True, **fields: Any) -> list[TrimResult]:
    """The exact saving from trimming ``trim`` of the prompt's tokens, on each model of :func:`compare`.

    The "before" is exactly the request :func:`compare` prices (every option kept); the "after" is
    the same request with the uncached prompt tokens trimmed (cached and cache-write tokens are a
    kept prefix) and the visible response shrunk by ``response_trim``.  ``article_claim_reached``
    says whether the saving is at least 1.5 times the trimmed fraction (the seed article's claim).
    """
    fraction = _decimal(trim, "trim")
    out_fraction = _decimal(response_trim, "response trim")
    for name, value in (("trim", fraction), ("response trim", out_fraction)):
        if not Decimal(0) <= value < Decimal(1):
            raise BadInputError(f"the {name} must be a fraction from 0 up to (not including) 1, not {value}")
    registry = registry or default_registry()
    req = _request(prompt, usage, response, response_ratio, fields)
    _check_tools(prompt, tools)
    counter = _Counter(tools)
    results = []
    for target in _targets(prompt, models, req, as_of, registry, selfhost):
        before_usage, kind, basis = _counted(prompt, req, target, counter)
        if before_usage.output_tokens == 0 and target.label.startswith("self-hosted:"):
            continue
        try:
            before = target.price(before_usage, kind, basis)
        except ContextWindowError:
            if models is not None:
                raise
            continue
        kept = before_usage.cached_tokens + before_usage.cache_write_tokens
        after_input = _trimmed(before_usage.input_tokens, fraction)
        if after_input < kept:
            raise BadInputError(
                f"a {fraction:%} trim of {before_usage.input_tokens} tokens cuts into the {kept} cached "
                f"and cache-write tokens"
            )
        visible = _trimmed(before_usage.response_tokens, out_fraction)
        after_usage = Usage(**{**before_usage.model_dump(), "input_tokens": after_input,
                               "output_tokens": visible + before_usage.reasoning_tokens})
        after = target.price(after_usage, kind, basis)
        saving = before.total_cost - after.total_cost
        pct = (saving * 100 / before.total_cost).quantize(PCT) if before.total_cost else Decimal(0)
        ratio = (saving / before.total_cost / fraction).quantize(PCT) if fraction and before.total_cost else None
        results.append(TrimResult(
            model=before.model, trim=fraction, response_trim=out_fraction, before=before, after=after,
            saving=saving, saving_pct=pct, saving_over_trim=ratio,
            article_claim_reached=bool(ratio is not None and ratio >= Decimal("1.5")),
            explanation=_explain(before, after, fraction, out_fraction, ratio),
        ))
    results.sort(key=lambda r: (r.before.total_cost, r.model))
    return results


def _explain(before: Estimate, after: Estimate, fraction: Decimal, out_fraction: Decimal,
             ratio: Decimal | None) -> str:
    if ratio is None:
        return "no trim"
    if before.tier != after.tier:
        return (f"the trim moves the request from {before.tier or 'base rates'} to {after.tier or 'base rates'}: "
                f"every token gets cheaper, so the saving exceeds the trim")
    if before.cached_tokens:
        return ("the trim removes uncached tokens, which cost more per token than the cached prefix, "
                "so the saving can exceed the trim")
    if before.provider == "self-hosted":
        return "self-hosted: GPU time per token changes with the request's length, so the saving is not linear"
    if ratio > 1:
        return "the response shrinks more than the prompt, so the saving exceeds the prompt trim"
    if out_fraction == fraction:
        return "prompt and response shrink alike under linear pricing: the saving equals the trim"
    return ("linear per-token pricing: the saving is the trim times the prompt's share of the cost, "
            "never more than the trim")
