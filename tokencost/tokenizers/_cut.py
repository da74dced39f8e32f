"""Where a text can be cut so that counting the two halves equals counting the whole.

tiktoken-style tokenizers first split text with a regex into pre-tokens, then run BPE
on each pre-token on its own.  So ``count(a + b) == count(a) + count(b)`` holds whenever
the cut between ``a`` and ``b`` is a point the regex splits at anyway *and* the regex,
run on ``a`` alone, finds the same pieces it finds in ``a + b``.

The split patterns we support (o200k_base, cl100k_base, Llama 3, Llama 4, Qwen, Tekken)
share one structure; none has a look-behind, ``^`` or ``\\b``, so the pieces after a cut
never depend on the text before it.  Reading them element by element, no alternative
consumes:

* a non-whitespace character followed by a whitespace character other than ``\\r``/``\\n``
  (whitespace only ever starts a piece, or follows other whitespace; after punctuation
  only ``[\\r\\n]``/``[\\r\\n/]`` may follow);
* a letter or digit followed by anything that is not a letter, digit, combining mark or
  ASCII apostrophe (letter runs end there, optionally after a ``'s``-style contraction in
  the o200k family, marks belong to letter runs in that family; ``[^\\r\\n\\p{L}\\p{N}]?``
  only ever *starts* a piece);
* a letter followed by a digit, or a digit followed by a letter.

and the only zero-width tests, ``(?!\\S)`` and ``$``, are only reached right after
whitespace.  So at such a point the regex splits the whole text there, and the engine
never looks past it while matching earlier pieces: the prefix splits exactly as it does
inside the whole text.  ``tests/test_tokenizers.py`` checks this with hypothesis on
adversarial text for every tokenizer.

Character classes follow Unicode as Python's ``unicodedata`` knows it.  A code point
unassigned in Python's tables (category ``Cn``) may be assigned in the regex engine's
newer tables, so it never makes a cut safe.

For tokenizers that NFC-normalise first (Qwen), both characters at the cut must also be
*stable starters*: canonical combining class 0, unchanged by NFC, and never the second
half of a canonical composition.  Then NFC(a + b) == NFC(a) + NFC(b).
"""

from __future__ import annotations

import unicodedata

# Unicode White_Space: what ``\s`` matches in tiktoken's regex engine.  (Python's
# str.isspace() differs: it also accepts U+001C..U+001F.)
WHITESPACE = frozenset(
    "\t\n\x0b\x0c\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

_cat = unicodedata.category


def _kind(ch: str) -> str:
    """'W' whitespace, 'L' letter, 'N' digit/number, 'M' mark, 'U' unsafe, 'P' other."""
    if ch in WHITESPACE:
        return "W"
    c = _cat(ch)
    first = c[0]
    if first in "LNM":
        return first
    if c in ("Cn", "Cs"):
        return "U"
    return "P"


def _stable_starter(ch: str) -> bool:
    if ch.isascii():
        return True
    if unicodedata.combining(ch) or _cat(ch)[0] == "M" or _cat(ch) == "Cn":
        return False
    o = ord(ch)
    # Hangul medial vowels / final consonants compose with a preceding syllable.
    if 0x1160 <= o <= 0x11FF or 0xD7B0 <= o <= 0xD7FF:
        return False
    return unicodedata.normalize("NFC", ch) == ch


def safe_cut(prev: str, cur: str, nfc: bool = False) -> bool:
    """True when a cut between characters ``prev`` and ``cur`` preserves the count."""
    if nfc and not (_stable_starter(prev) and _stable_starter(cur)):
        return False
    kp = _kind(prev)
    kc = _kind(cur)
    if kp == "U" or kc == "U":
        return False
    if kp != "W" and kc == "W" and cur not in "\r\n":
        return True
    if kp in "LN":
        if kc in "WP":
            return cur != "'"
        if kc in "LN" and kc != kp:
            return True
    return False


def find_cut(text: str, lo: int, hi: int, nfc: bool = False) -> int | None:
    """The largest ``p`` with ``lo <= p < hi`` where ``text`` may be cut, or None.

    ``p`` is a cut *before* ``text[p]``; needs ``lo >= 1``.
    """
    lo = max(lo, 1)
    p = min(hi, len(text)) - 1
    while p >= lo:
        if safe_cut(text[p - 1], text[p], nfc):
            return p
        p -= 1
    return None
