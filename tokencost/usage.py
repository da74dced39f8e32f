"""The request being priced, as a value: token counts plus the pricing options.

Field names follow the providers' usage objects: ``input_tokens`` is every prompt token (cache
hits and cache writes included), ``output_tokens`` every billed output token (hidden reasoning
included), ``cached_tokens``/``cache_write_tokens``/``reasoning_tokens`` are parts of those.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, ValidationError, model_validator

from .errors import BadInputError

#: More tokens than this in one request is beyond any model's context: almost certainly a typo.
MAX_TOKENS = 10**12
#: More requests than this in one projection is almost certainly a typo (a trillion a day for a year).
MAX_REQUESTS = 10**15

Tokens = Annotated[StrictInt, Field(ge=0, le=MAX_TOKENS)]


class Usage(BaseModel):
    """One request's token counts and the price list it is billed on, ``requests`` times.

    >>> Usage(input_tokens=1200, output_tokens=300, cached_tokens=1000)
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: Tokens = 0
    output_tokens: Tokens = 0
    cached_tokens: Tokens = 0
    cache_write_tokens: Tokens = 0
    reasoning_tokens: Tokens = 0
    requests: Annotated[StrictInt, Field(ge=1, le=MAX_REQUESTS)] = 1
    batch: StrictBool = False
    service_tier: str | None = None
    cache_ttl: Literal["5m", "1h"] = "5m"
    uplift: str | None = None

    def __init__(self, **data: Any) -> None:
        try:
            super().__init__(**data)
        except ValidationError as exc:
            raise BadInputError(describe(exc, "usage")) from None

    @model_validator(mode="after")
    def _parts_fit(self) -> Usage:
        if self.cached_tokens + self.cache_write_tokens > self.input_tokens:
            raise ValueError(
                f"cached ({self.cached_tokens}) plus cache-write ({self.cache_write_tokens}) tokens "
                f"exceed the {self.input_tokens} input tokens they are part of"
            )
        if self.reasoning_tokens > self.output_tokens:
            raise ValueError(
                f"reasoning tokens ({self.reasoning_tokens}) exceed the {self.output_tokens} output tokens "
                f"they are part of"
            )
        if self.batch and self.service_tier:
            raise ValueError("batch and a service tier are separate price lists: choose one")
        return self

    @property
    def uncached_tokens(self) -> int:
        """Input tokens billed at the ordinary input rate."""
        return self.input_tokens - self.cached_tokens - self.cache_write_tokens

    @property
    def response_tokens(self) -> int:
        """Visible output tokens (output less reasoning)."""
        return self.output_tokens - self.reasoning_tokens


def describe(exc: ValidationError, what: str) -> str:
    """One line for the first problem pydantic found, naming the field and the bad value."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"])
    message = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{what}: unknown field {field!r}"
    if field:
        return f"{what}: {field} = {err.get('input')!r}: {message}"
    return f"{what}: {message}"
