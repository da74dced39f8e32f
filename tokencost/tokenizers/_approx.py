"""The approximations: what each stands on, and its error as measured or as published.

An approximation counts with a public exact tokenizer (``inner``), optionally scaled by a
published ratio, or as ceil(characters / 4) when ``inner`` is None.  Its ``error`` states
what was measured, on which text and by which script (``bench/bench_tokenizers.py --approx``
re-measures the figures in ``MEASURED``), or plainly that no ground truth exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

#: Measured on 2026-11-23 with bench/bench_tokenizers.py --approx (Python 3.11.7, tiktoken 0.14.0).
MEASURED = {
    "en": "+9.5%",
    "code": "+14.6%",
    "zh": "-74.1%",
    "en_cpt": "4.38",
    "en_wpt": "61.7",
}

#: Anthropic's migration guide (platform.claude.com/docs/en/about-claude/models/migration-guide,
#: "Migrating to Claude Opus 4.7", checked 2026-12-02): the updated tokenizer uses roughly 1x to 1.35x
#: as many tokens as the previous one, varying by content.  The top of that range is used, so an
#: estimate does not under-price text the published range covers.
CLAUDE_47_RATIO = Fraction(135, 100)


@dataclass(frozen=True)
class ApproxSpec:
    """One approximation: ``ceil(inner count * ratio)``, or ``ceil(chars / chars_per_token)`` without inner."""

    name: str
    inner: str | None
    basis: str
    error: str
    ratio: Fraction = Fraction(1)
    chars_per_token: int = 4


_CLAUDE_LEGACY_BASIS = (
    "cl100k_base count of the text: Anthropic publishes no tokenizer for Claude 3 or later, so a public BPE "
    "vocabulary of similar size stands in"
)

APPROXIMATIONS: dict[str, ApproxSpec] = {
    s.name: s
    for s in (
        ApproxSpec(
            "approx:claude",
            "cl100k_base",
            _CLAUDE_LEGACY_BASIS + " (Claude 3 through Claude 4.6)",
            "No ground truth is available offline: Anthropic publishes neither the tokenizer nor text/count pairs, "
            "so the error of this approximation is unknown and was not measured. For exact counts use Anthropic's "
            "count_tokens API (tokencost.remote_count.anthropic_count_tokens, opt-in, needs your API key).",
        ),
        ApproxSpec(
            "approx:claude-4.7",
            "cl100k_base",
            "ceil(1.35 x the cl100k_base count of the text): Claude Opus 4.7 and later use a newer tokenizer that, "
            "per Anthropic's migration guide (platform.claude.com/docs/en/about-claude/models/migration-guide), "
            "uses roughly 1x to 1.35x as many tokens as the previous one, varying by content; the top of that "
            "range is applied to the approximation used for earlier Claude models (cl100k_base)",
            "Published range, not measured here: relative to the previous Claude tokenizer the true count is "
            "1.0-1.35x, so this estimate is between 0% and 35% above it for text inside Anthropic's range; "
            "Anthropic's token-counting page says about 30% more on average. The cl100k_base stand-in for the "
            "previous tokenizer has an unknown error of its own, and independent count_tokens measurements "
            "report up to about 1.46x on English prose, so no bound holds for a given text. For exact counts use "
            "Anthropic's count_tokens API (tokencost.remote_count.anthropic_count_tokens, opt-in).",
            ratio=CLAUDE_47_RATIO,
        ),
        ApproxSpec(
            "approx:gemini",
            "o200k_base",
            "o200k_base count of the text: Google publishes no Gemini tokenizer offline; o200k_base is a public BPE "
            "vocabulary of comparable size (Gemini's is a 256K SentencePiece vocabulary)",
            "No token-level ground truth is available offline. Checked only against Google's published ratio "
            "('a token is equivalent to about 4 characters; 100 tokens is about 60-80 English words', "
            "ai.google.dev/gemini-api/docs/tokens): on English prose (Python 3.11's pydoc_data topics) o200k_base "
            "gives {en_cpt} characters per token and {en_wpt} words per 100 tokens, consistent with that ratio; "
            "this bounds nothing for a given text. For exact counts use Gemini's countTokens API "
            "(tokencost.remote_count.gemini_count_tokens, opt-in).".format(**MEASURED),
        ),
        ApproxSpec(
            "approx:phi",
            "cl100k_base",
            "cl100k_base count of the text: the Phi-4 technical report (arXiv:2412.08905, section 3) says phi-4 uses "
            "the tiktoken tokenizer with a padded vocabulary of 100,352 tokens, i.e. cl100k_base plus unused and "
            "special tokens",
            "Not measured: no Phi tokenizer file ships in a PyPI package here. For phi-4 the vocabulary is cl100k_base "
            "per Microsoft's report, so text counts are expected to match, but the pre-tokenizer was not checked "
            "offline. Phi-3/3.5 use Llama 2's 32K SentencePiece vocabulary and Phi-4-mini a 200K vocabulary: for those "
            "there is no ground truth here and the error is unknown.",
        ),
        ApproxSpec(
            "approx:chars",
            None,
            "ceil(characters / 4): OpenAI's rule of thumb that one token is about 4 characters of common English "
            "text (help.openai.com, 'What are tokens and how to count them?')",
            "Measured against exact o200k_base counts with bench/bench_tokenizers.py --approx (count/o200k - 1): "
            "English prose (Python 3.11's pydoc_data topics, 465,126 characters) {en}; Python source (stdlib json, "
            "email and asyncio packages, 901,878 characters) {code}; Chinese (country names from pycountry's zh_CN "
            "catalogue, 1,260 characters) {zh}. Against other tokenizers the error differs; no bound holds for "
            "arbitrary text.".format(**MEASURED),
        ),
    )
}
