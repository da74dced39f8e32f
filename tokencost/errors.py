"""Domain errors.  The CLI turns each into one line on stderr and an exit code."""


class TokencostError(Exception):
    """Base of every error tokencost raises on purpose (exit code 1 in the CLI)."""

    exit_code = 1


class BadInputError(TokencostError):
    """The user gave something unusable: a bad volume, file or option (exit code 2)."""

    exit_code = 2


class UnknownModelError(BadInputError):
    """No model (or an ambiguous one) matches the id the user typed."""


class TokenizerUnavailable(TokencostError):
    """An exact tokenizer's vocabulary ships in an optional package that is not installed."""

    def __init__(self, message: str, extra: str | None):
        self.extra = extra
        super().__init__(message)


class RemoteCountError(TokencostError):
    """A provider's token-counting endpoint failed or answered something unexpected."""


class PriceFileError(TokencostError):
    """A price file is malformed; ``problems`` holds one line per problem."""

    exit_code = 2

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(problems[0] if len(problems) == 1 else f"{len(problems)} problems:\n" + "\n".join(problems))


class ContextWindowError(BadInputError):
    """A request that the model cannot take: a prompt over its context window, output over its maximum."""
