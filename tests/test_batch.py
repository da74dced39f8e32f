"""Counting files, folders, JSONL and Batch API files (tokencost.batch)."""

from __future__ import annotations

import json
import os

import pytest

from tokencost import tokenizers as tk
from tokencost.batch import FileCount, count_files
from tokencost.errors import BadInputError


@pytest.fixture(scope="module")
def toks():
    return {name: tk.get_tokenizer(name) for name in ("o200k_base",)}



def test_count_files_directory_and_jsonl(tmp_path, toks):
    tok = toks["o200k_base"]
    d = tmp_path / "prompts"
    (d / "sub").mkdir(parents=True)
    (d / "a.txt").write_text("hello world", encoding="utf-8")
    (d / "sub" / "b.md").write_text("# Title\n\nbody text", encoding="utf-8")
    (d / ".hidden").write_text("skip me", encoding="utf-8")
    jl = tmp_path / "batch.jsonl"
    lines = [
        {"custom_id": "r1", "method": "POST", "url": "/v1/chat/completions",
         "body": {"model": "gpt-4o", "messages": [{"role": "user", "content": "Hi there"}]}},
        {"prompt": "plain prompt"},
        "a bare JSON string",
        {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}]},
        {"unrelated": 1},
        {"prompt": ["one", "two"]},
    ]
    jl.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    res = count_files(tok, [d, jl], workers=2, skip_empty=True)
    by = {(os.path.basename(r.path), r.line): r for r in res}
    assert by[("a.txt", None)].tokens == tok.count("hello world")
    assert by[("b.md", None)].tokens == tok.count("# Title\n\nbody text")
    assert (".hidden", None) not in by
    from tokencost.messages import count_messages

    r1 = by[("batch.jsonl", 1)]
    assert r1.custom_id == "r1" and r1.kind == "messages"
    assert r1.tokens == count_messages([{"role": "user", "content": "Hi there"}], "o200k_base").tokens
    assert by[("batch.jsonl", 2)].tokens == tok.count("plain prompt")
    assert by[("batch.jsonl", 3)].tokens == tok.count("a bare JSON string")
    assert by[("batch.jsonl", 4)].kind == "messages"
    assert by[("batch.jsonl", 5)].kind == "empty" and not by[("batch.jsonl", 5)].exact
    assert by[("batch.jsonl", 6)].tokens == tok.count("one") + tok.count("two")


def test_count_files_errors(tmp_path):
    with pytest.raises(BadInputError, match="no such file"):
        count_files("o200k_base", [tmp_path / "missing"])
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "ok"}\n{not json\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"bad.jsonl:2"):
        count_files("o200k_base", [bad])
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("caf\xe9".encode("latin-1"))
    with pytest.raises(BadInputError, match="byte 3"):
        count_files("o200k_base", [latin])


def test_a_line_with_nothing_to_count_is_an_error_naming_file_and_line(tmp_path):
    jl = tmp_path / "reqs.jsonl"
    jl.write_text('{"prompt": "fine"}\n\n{"model": "gpt-4o", "max_tokens": 5}\n', encoding="utf-8")
    with pytest.raises(BadInputError, match=r"reqs\.jsonl:3: nothing to count"):
        count_files("o200k_base", [jl])
    skipped = count_files("o200k_base", [jl], skip_empty=True)
    assert [(r.line, r.kind, r.tokens, r.exact) for r in skipped] == [
        (1, "prompt", tk.get_tokenizer("o200k_base").count("fine"), True),
        (3, "empty", 0, False),
    ]


def test_utf8_error_in_jsonl_names_file_line_and_file_offset(tmp_path):
    jl = tmp_path / "bad.jsonl"
    first = '{"prompt": "héllo"}\n'.encode()
    second = b'{"prompt": "ab\xffcd"}\n'
    jl.write_bytes(first + second)
    offset = len(first) + second.index(b"\xff")
    with pytest.raises(BadInputError, match=rf"bad\.jsonl:2: not valid UTF-8: byte {offset} of the file \(0xff"):
        count_files("o200k_base", [jl])


def test_no_progress_bar_unless_asked(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    (tmp_path / "a.txt").write_text("hello", encoding="utf-8")
    count_files("o200k_base", [tmp_path])
    assert capsys.readouterr().err == ""
    count_files("o200k_base", [tmp_path], progress=True)
    assert "files" in capsys.readouterr().err


def test_many_small_files_are_counted_in_linear_time(tmp_path, monkeypatch):
    """The running total of pending characters is kept, not recomputed per file (was O(n^2))."""
    import tokencost.batch as batch

    for i in range(300):
        (tmp_path / f"{i:04}.txt").write_text(f"prompt number {i}", encoding="utf-8")
    sums = []
    real_sum = sum

    def counting_sum(it, *a):
        sums.append(1)
        return real_sum(it, *a)

    monkeypatch.setattr(batch, "sum", counting_sum, raising=False)
    res = count_files("o200k_base", [tmp_path])
    assert len(res) == 300 and res[7].tokens == tk.get_tokenizer("o200k_base").count("prompt number 7")
    assert len(sums) < 10  # one sum per JSONL prompt group at most, never one per file


def test_deprecated_aliases_still_work():
    assert tk.count_files is count_files and tk.FileCount is FileCount
