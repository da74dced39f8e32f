"""Tokenizer benchmark: throughput against raw tiktoken, batch against loop, cold/warm loads.

    python bench/bench_tokenizers.py            # speed figures (about a minute)
    python bench/bench_tokenizers.py --approx   # re-measure the approximations' errors

The text is ~10 MB of mixed-script prose generated deterministically (same seed, same
text on every run), so figures can be compared run to run.  Every line is
``key: value`` for easy diffing.  The issue's bar: ``ratio_count_vs_raw >= 0.90``.
"""

from __future__ import annotations

import argparse
import gc
import io
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tokencost import tokenizers as tk  # noqa: E402

WORDS = {
    "en": "the of and to in is that for it as was with be by on not he this are or his from at which but have "
    "token price model cost latency throughput request budget invoice estimate context window".split(),
    "code": "def return self if else for in import from class None True False lambda yield await async".split()
    + ["x = 1", "f(a, b)", "{'k': [1, 2]}", "# comment", "i += 1", "->", "!=", "==", "**kwargs"],
    "zh": list("的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主发年动同工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆包火住调满县局照参红细引听该铁价严龙飞"),
    "ru": "и в не на я быть он с что а по это она этот к но они мы как из у который то за свой цена модель".split(),
    "ar": "في من على إلى أن هذا التي الذي مع كان عن ذلك بين كل هذه سعر نموذج".split(),
    "ja": "これは日本語の文章ですトークンの数を数えますカタカナひらがな漢字".split() + ["東京", "価格", "モデル"],
    "emoji": ["😀", "👍🏽", "🚀", "🇫🇷", "👨‍👩‍👧", "✅", "❤️"],
    "num": ["0", "42", "3.14159", "2026-11-23", "1,234,567", "$12.50", "0x1F"],
}
SEPS = [" "] * 20 + [", ", ". ", "\n", "\n\n", "\t", "  ", " — ", "\r\n", "    "]


def mixed_text(target_bytes: int = 10_000_000, seed: int = 20261123) -> str:
    rng = random.Random(seed)
    kinds = list(WORDS)
    weights = [40, 12, 12, 10, 6, 6, 2, 4]
    out: list[str] = []
    size = 0
    while size < target_bytes:
        kind = rng.choices(kinds, weights)[0]
        sep_joiner = "" if kind in ("zh", "ja") and rng.random() < 0.7 else " "
        para = sep_joiner.join(rng.choice(WORDS[kind]) for _ in range(rng.randint(5, 40)))
        para += rng.choice(SEPS)
        out.append(para)
        size += len(para.encode())
    return "".join(out)


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def emit(key: str, value) -> None:
    print(f"{key}: {value}", flush=True)


def load_time_in_fresh_process(name: str, cache_dir: str) -> float:
    code = (
        "import time,sys;sys.path.insert(0,%r);t=time.perf_counter();"
        "from tokencost.tokenizers import get_tokenizer;get_tokenizer(%r).count('x');"
        "print(time.perf_counter()-t)" % (str(Path(__file__).resolve().parents[1]), name)
    )
    env = dict(os.environ, TOKENCOST_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    return float(out.stdout.strip())


def speed(names: list[str]) -> None:
    text = mixed_text()
    mb = len(text.encode()) / 1e6
    emit("text_mb", f"{mb:.2f}")
    emit("text_chars", len(text))
    emit("cpu_count", os.cpu_count())
    prompts = [text[i : i + 2000] for i in range(0, len(text), 2000)]
    for name in names:
        tok = tk.get_tokenizer(name)
        raw = tok.encoding.encode_ordinary
        n = tok.count(text)
        t_raw = best_of(lambda: len(raw(text)))
        t_ours = best_of(lambda: tok.count(text))
        emit(f"{name}.tokens", n)
        emit(f"{name}.count_path", "packed-buffer" if getattr(tok, "_fast", None) else "encode_ordinary")
        emit(f"{name}.raw_encode_ordinary_mb_s", f"{mb / t_raw:.2f}")
        emit(f"{name}.count_mb_s", f"{mb / t_ours:.2f}")
        emit(f"{name}.ratio_count_vs_raw", f"{t_raw / t_ours:.3f}")
        t_loop = best_of(lambda: [tok.count(p) for p in prompts], 2)
        t_batch = best_of(lambda: tok.count_batch(prompts), 2)
        emit(f"{name}.loop_{len(prompts)}_prompts_mb_s", f"{mb / t_loop:.2f}")
        emit(f"{name}.batch_{len(prompts)}_prompts_mb_s", f"{mb / t_batch:.2f}")
        emit(f"{name}.batch_speedup", f"{t_loop / t_batch:.2f}")
        data = text.encode()
        t_stream = best_of(lambda: tk.count_stream(tok, io.BytesIO(data)), 2)
        assert tk.count_stream(tok, io.BytesIO(data)) == n
        emit(f"{name}.stream_mb_s", f"{mb / t_stream:.2f}")
    with tempfile.TemporaryDirectory() as cache:
        for name in names:
            cold = load_time_in_fresh_process(name, cache)
            warm = statistics.median(load_time_in_fresh_process(name, cache) for _ in range(3))
            emit(f"{name}.load_cold_s", f"{cold:.3f}")
            emit(f"{name}.load_warm_s", f"{warm:.3f}")


# --- approximation errors ---------------------------------------------------------------


def corpora() -> dict[str, str]:
    """Natural text that ships with Python or our dependencies (same on every machine)."""
    import email
    import gettext
    import json as jsonpkg

    import pydoc_data.topics

    out = {"en": "\n\n".join(pydoc_data.topics.topics[k] for k in sorted(pydoc_data.topics.topics))}
    code = []
    for pkg in (jsonpkg, email):
        for p in sorted(Path(pkg.__file__).parent.glob("*.py")):
            code.append(p.read_text(encoding="utf-8"))
    import asyncio

    for p in sorted(Path(asyncio.__file__).parent.glob("*.py")):
        code.append(p.read_text(encoding="utf-8"))
    out["code"] = "\n".join(code)
    try:
        import pycountry

        locales = Path(pycountry.__file__).parent / "locales"
        tr = gettext.translation("iso3166-1", localedir=str(locales), languages=["zh_CN"])
        names = [tr.gettext(c.name) for c in pycountry.countries]
        out["zh"] = "，".join(n for n in names if not n.isascii())
    except Exception:  # pycountry is optional here
        pass
    return out


def approx() -> None:
    o200k = tk.get_tokenizer("o200k_base")
    cl100k = tk.get_tokenizer("cl100k_base")
    chars = tk.get_tokenizer("approx:chars")
    for key, text in corpora().items():
        n_o, n_c, n_a = o200k.count(text), cl100k.count(text), chars.count(text)
        emit(f"corpus.{key}.chars", len(text))
        emit(f"corpus.{key}.o200k_base", n_o)
        emit(f"corpus.{key}.cl100k_base", n_c)
        emit(f"corpus.{key}.approx_chars", n_a)
        emit(f"corpus.{key}.approx_chars_error_vs_o200k", f"{(n_a - n_o) / n_o:+.1%}")
        emit(f"corpus.{key}.approx_chars_error_vs_cl100k", f"{(n_a - n_c) / n_c:+.1%}")
        emit(f"corpus.{key}.o200k_chars_per_token", f"{len(text) / n_o:.2f}")
        emit(f"corpus.{key}.o200k_words_per_100_tokens", f"{100 * len(text.split()) / n_o:.1f}")
        emit(f"corpus.{key}.claude_proxy_cl100k_vs_o200k", f"{(n_c - n_o) / n_o:+.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--approx", action="store_true", help="measure the approximations' errors instead")
    ap.add_argument("--names", default="o200k_base,cl100k_base,llama3,llama4,mistral,qwen,qwen3.5")
    args = ap.parse_args()
    emit("python", sys.version.split()[0])
    import tiktoken

    emit("tiktoken", tiktoken.__version__)
    if args.approx:
        approx()
    else:
        speed([n for n in args.names.split(",") if n])


if __name__ == "__main__":
    main()
