"""Chat framing: OpenAI's cookbook rule, Meta's Llama chat formats, ChatML, images, odd parts."""

from __future__ import annotations

import base64
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tokencost.errors import BadInputError
from tokencost.messages import (
    MessageCount,
    anthropic_image_tokens,
    count_messages,
    image_size,
    openai_image_tokens,
)
from tokencost.tokenizers import get_tokenizer

CHAT = [
    {"role": "system", "content": "You are a helpful, pattern-following assistant."},
    {"role": "system", "name": "example_user", "content": "New synergies will help drive top-line growth."},
    {"role": "system", "name": "example_assistant", "content": "Things working well together will increase revenue."},
    {"role": "user", "content": "This late pivot means we don't have time to boil the ocean <|endoftext|>."},
    {"role": "assistant", "content": "你好！Let's go 🚀"},
]


def cookbook_num_tokens_from_messages(messages, encoding) -> int:
    """An independent transcription of num_tokens_from_messages() from OpenAI's cookbook
    'How to count tokens with tiktoken' (tokens_per_message=3, tokens_per_name=1, +3 priming)."""
    num_tokens = 0
    for message in messages:
        num_tokens += 3
        for key, value in message.items():
            num_tokens += len(encoding.encode(value, disallowed_special=()))
            if key == "name":
                num_tokens += 1
    num_tokens += 3
    return num_tokens


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base"])
def test_openai_rule_matches_cookbook(name):
    tok = get_tokenizer(name)
    mc = count_messages(CHAT, name)
    assert isinstance(mc, MessageCount)
    assert mc.tokens == cookbook_num_tokens_from_messages(CHAT, tok.encoding)
    assert mc.exact and mc.framing == "openai-chat" and mc.uncounted_parts == ()


def test_openai_single_message_framing():
    tok = get_tokenizer("o200k_base")
    mc = count_messages([{"role": "user", "content": "hello"}], "o200k_base")
    assert mc.tokens == 3 + tok.count("user") + tok.count("hello") + 3


def test_llama3_matches_meta_chat_format():
    from llama_models.datatypes import RawMessage
    from llama_models.llama3.chat_format import ChatFormat
    from llama_models.llama3.tokenizer import Tokenizer

    fmt = ChatFormat(Tokenizer.get_instance())
    msgs = [m for m in CHAT if "name" not in m] + [{"role": "tool", "content": '{"ok": true}'}]
    ref = fmt.encode_dialog_prompt([RawMessage(role=m["role"], content=m["content"]) for m in msgs])
    mc = count_messages(msgs, "llama3")
    assert mc.tokens == len(ref.tokens)
    assert mc.exact and mc.framing == "llama3-chat"


def test_llama4_framing_by_hand():
    tok = get_tokenizer("llama4")
    msgs = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi <|eot|>"}]

    def header(role):
        return 1 + tok.count(role) + 1 + tok.count("\n\n")

    expected = 1 + sum(header(m["role"]) + tok.count(m["content"]) + 1 for m in msgs) + header("assistant")
    assert count_messages(msgs, "llama4").tokens == expected


def test_llama_name_field_is_flagged():
    mc = count_messages(CHAT, "llama3")
    assert not mc.exact and any(".name" in p for p in mc.uncounted_parts)


def test_qwen_chatml():
    tok = get_tokenizer("qwen")
    msgs = [{"role": "system", "content": "S"}, {"role": "user", "content": "你好"}]
    expected = sum(2 + tok.count(f"{m['role']}\n{m['content']}") + tok.count("\n") for m in msgs)
    expected += 1 + tok.count("assistant\n")
    mc = count_messages(msgs, "qwen")
    assert mc.tokens == expected and mc.framing == "chatml"


@pytest.mark.parametrize("name", ["mistral", "approx:claude", "approx:gemini", "approx:phi", "approx:chars"])
def test_content_only_is_not_exact(name):
    mc = count_messages(CHAT, name)
    tok = get_tokenizer(name)
    assert mc.tokens == sum(tok.count(m["content"]) for m in CHAT)
    assert mc.exact is False and mc.framing == "none" and mc.notes


# --- images -----------------------------------------------------------------------------------


def test_openai_image_rule_published_examples():
    # OpenAI "Images and vision" guide, "Calculating costs" worked examples (gpt-4o class):
    assert openai_image_tokens(1024, 1024, "high") == 765
    assert openai_image_tokens(2048, 4096, "high") == 1105
    assert openai_image_tokens(4096, 8192, "low") == 85


def test_anthropic_image_rule():
    # Anthropic "Vision" guide: tokens = width * height / 750 (1000x1000 -> ~1334 tokens)
    assert anthropic_image_tokens(1000, 1000) == 1334
    assert anthropic_image_tokens(200, 200) == 54
    assert anthropic_image_tokens(8000, 8000) <= 1600


def _png(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk + struct.pack(">I", zlib.crc32(chunk))


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof + b"\xff\xd9"


def test_image_size_parsers():
    assert image_size(_png(640, 480)) == (640, 480)
    assert image_size(_jpeg(1024, 768)) == (1024, 768)
    assert image_size(b"GIF89a" + struct.pack("<HH", 30, 20)) == (30, 20)
    assert image_size(b"not an image") is None
    assert image_size(b"") is None


def test_images_in_messages():
    data_url = "data:image/png;base64," + base64.b64encode(_png(1024, 1024)).decode()
    content = [
        {"type": "text", "text": "What is in this image?"},
        {"type": "image_url", "image_url": {"url": data_url, "detail": "high"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/x.png", "detail": "low"}},
        {"type": "image_url", "image_url": {"url": "https://example.com/y.png"}},
    ]
    tok = get_tokenizer("o200k_base")
    mc = count_messages([{"role": "user", "content": content}], "o200k_base", image_rule="openai-tiles")
    assert mc.tokens == 3 + tok.count("user") + tok.count("What is in this image?") + 765 + 85 + 3
    assert mc.uncounted_parts == ("messages[0].content[3] (image: detail=auto/unset: the model chooses low or high)",)
    assert not mc.exact
    # without a rule every image is listed, none counted
    plain = count_messages([{"role": "user", "content": content}], "o200k_base")
    assert len(plain.uncounted_parts) == 3


def test_anthropic_style_image_for_claude():
    src = {"type": "base64", "media_type": "image/png", "data": base64.b64encode(_png(1000, 1000)).decode()}
    msgs = [{"role": "user", "content": [{"type": "image", "source": src}, {"type": "text", "text": "hi"}]}]
    mc = count_messages(msgs, "approx:claude")
    assert mc.tokens == 1334 + get_tokenizer("approx:claude").count("hi")
    assert mc.uncounted_parts == ()


# --- robustness --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.sampled_from(
        ["type", "text", "image_url", "url", "detail", "source", "data", "refusal", "width", "height", "x"]
    ), inner, max_size=4),
    max_leaves=12,
)
part_types = st.sampled_from(["text", "image_url", "input_image", "image", "input_audio", "file", "tool_use", 7, None])


@st.composite
def odd_content(draw):
    parts = draw(st.lists(st.fixed_dictionaries({"type": part_types}, optional={
        "text": json_values, "image_url": json_values, "source": json_values, "detail": json_values,
        "width": json_values, "height": json_values}), max_size=4))
    return draw(st.sampled_from([parts, draw(json_values)]))


@pytest.mark.parametrize("name", ["o200k_base", "llama3", "qwen", "approx:claude"])
@given(content=odd_content(), extra=json_values)
def test_never_crashes_on_odd_content(name, content, extra):
    msgs = [{"role": "user", "content": content, "tool_calls": extra}]
    mc = count_messages(msgs, name, image_rule="openai-tiles" if name == "o200k_base" else None)
    assert mc.tokens >= 0


def test_bad_message_lists_are_bad_input():
    with pytest.raises(BadInputError):
        count_messages("hello", "o200k_base")
    with pytest.raises(BadInputError):
        count_messages([42], "o200k_base")
    with pytest.raises(BadInputError):
        count_messages([{"role": None, "content": "x"}], "llama3")
    with pytest.raises(BadInputError, match="image_rule"):
        count_messages([], "o200k_base", image_rule="nope")


def test_system_argument_and_pydantic_messages():
    from pydantic import BaseModel

    class Msg(BaseModel):
        role: str
        content: str

    a = count_messages([Msg(role="user", content="hi")], "o200k_base", system="Be terse.")
    b = count_messages([{"role": "system", "content": "Be terse."}, {"role": "user", "content": "hi"}], "o200k_base")
    assert a.tokens == b.tokens


# --- tools (issue 12) --------------------------------------------------------------------------

# OpenAI cookbook "How to count tokens with tiktoken", section 7 ("Counting tokens for chat
# completions with tool calls"): this request, sent with tools=WEATHER_TOOLS, was billed 105
# prompt tokens on gpt-4 and 101 on gpt-4o (the notebook's published output).
WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_current_weather",
            "description": "Get the current weather in a given location",
            "parameters": {
                "type": "object",
                "properties": {
                    "location": {
                        "type": "string",
                        "description": "The city and state, e.g. San Francisco, CA",
                    },
                    "unit": {"type": "string",
                             "description": "The unit of temperature to return",
                             "enum": ["celsius", "fahrenheit"]},
                },
                "required": ["location"],
            },
        },
    }
]
WEATHER_MESSAGES = [
    {"role": "system", "content": "You are a helpful assistant that can answer to questions about the weather."},
    {"role": "user", "content": "What's the weather like in San Francisco?"},
]


@pytest.mark.parametrize("name, billed", [("cl100k_base", 105), ("o200k_base", 101)])
def test_tools_reproduce_cookbook_billed_counts(name, billed):
    mc = count_messages(WEATHER_MESSAGES, name, tools=WEATHER_TOOLS)
    assert mc.tokens == billed
    assert mc.tool_tokens == mc.tokens - count_messages(WEATHER_MESSAGES, name).tokens
    assert mc.exact is False and any("namespace functions" in n for n in mc.notes)


@pytest.mark.parametrize("model, billed", [("openai:gpt-4", 105), ("openai:gpt-4o", 101)])
def test_count_message_tokens_passes_tools(model, billed):
    from tokencost import count_message_tokens

    assert count_message_tokens(WEATHER_MESSAGES, model, tools=WEATHER_TOOLS).tokens == billed
    assert count_message_tokens(WEATHER_MESSAGES, model).tokens < billed


def test_render_openai_functions_cookbook_tool():
    from tokencost.messages import render_openai_functions

    assert render_openai_functions([WEATHER_TOOLS[0]["function"]]) == (
        "namespace functions {\n\n"
        "// Get the current weather in a given location\n"
        "type get_current_weather = (_: {\n"
        "// The city and state, e.g. San Francisco, CA\n"
        "location: string,\n"
        "// The unit of temperature to return\n"
        'unit?: "celsius" | "fahrenheit",\n'
        "}) => any;\n\n"
        "} // namespace functions"
    )


def test_render_nested_schemas():
    from tokencost.messages import render_openai_functions

    fn = {
        "name": "book",
        "parameters": {
            "type": "object",
            "required": ["rooms"],
            "properties": {
                "rooms": {"type": "array", "items": {"type": "object", "required": ["beds"], "properties": {
                    "beds": {"type": "integer", "enum": [1, 2]}, "view": {"type": "boolean"}}}},
                "note": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                "tags": {"type": "array"},
                "when": {"type": ["string", "number"]},
            },
        },
    }
    text = render_openai_functions([fn, {"name": "ping"}])
    assert "rooms: {\n  beds: 1 | 2,\n  view?: boolean,\n}[]," in text
    assert "note?: string | null," in text and "tags?: any[]," in text and "when?: string | number," in text
    assert "type ping = () => any;" in text


def test_tools_without_system_message_cost_the_full_overhead():
    from tokencost.messages import OPENAI_TOOLS_OVERHEAD, render_openai_functions

    tok = get_tokenizer("o200k_base")
    user_only = WEATHER_MESSAGES[1:]
    delta = count_messages(user_only, "o200k_base", tools=WEATHER_TOOLS).tokens - count_messages(
        user_only, "o200k_base").tokens
    assert delta == tok.count(render_openai_functions([WEATHER_TOOLS[0]["function"]])) + OPENAI_TOOLS_OVERHEAD


def test_legacy_functions_and_other_tool_types():
    legacy = count_messages(WEATHER_MESSAGES, "cl100k_base", tools=[WEATHER_TOOLS[0]["function"]])
    assert legacy.tokens == 105
    mixed = count_messages(WEATHER_MESSAGES, "cl100k_base", tools=[*WEATHER_TOOLS, {"type": "web_search"}])
    assert mixed.tokens == 105 and mixed.uncounted_parts == ("tools[1] ('web_search' tool: no counting rule)",)
    with pytest.raises(BadInputError, match=r"tools\[0\].*name"):
        count_messages(WEATHER_MESSAGES, "o200k_base", tools=[{"type": "function", "function": {}}])
    with pytest.raises(BadInputError, match="tools must be a list"):
        count_messages(WEATHER_MESSAGES, "o200k_base", tools=WEATHER_TOOLS[0])


# A tool call and its result, billed 35 prompt tokens on gpt-4 as a user reported it
# (github.com/forestwanglin/openai-java issue 5): a reported, not an official, figure.
TOOL_ROUND = [
    {"role": "assistant", "content": None, "tool_calls": [{
        "id": "call_Id8ycVMsW8gdsf7kSXfgAcf1", "type": "function",
        "function": {"name": "get_current_weather", "arguments": "{\n  \"location\": \"Boston, MA\"\n}"}}]},
    {"role": "tool", "tool_call_id": "call_Id8ycVMsW8gdsf7kSXfgAcf1", "name": "get_current_weather",
     "content": "29 degree celcius"},
]


def test_tool_calls_and_results_reported_count():
    mc = count_messages(TOOL_ROUND, "cl100k_base")
    assert mc.tokens == 35 and not mc.exact and any("tool calls" in n for n in mc.notes)
    # the result's author comes from the matching call when the message has no name
    unnamed = [TOOL_ROUND[0], {k: v for k, v in TOOL_ROUND[1].items() if k != "name"}]
    assert count_messages(unnamed, "cl100k_base").tokens == 35


def test_tool_call_rule_by_hand():
    tok = get_tokenizer("o200k_base")
    args = '{"city": "Paris"}'
    msgs = [{"role": "assistant", "tool_calls": [
        {"id": "a", "type": "function", "function": {"name": "weather", "arguments": args}},
        {"id": "b", "type": "function", "function": {"name": "clock", "arguments": {"tz": "CET"}}}]},
        {"role": "tool", "tool_call_id": "b", "content": "12:00"}]
    expected = (3 + tok.count("assistant") + 3 + tok.count("weather") + tok.count(args)
                + 3 + tok.count("clock") + tok.count('{"tz": "CET"}')
                + 3 + tok.count("clock") + tok.count("12:00") + 3)
    assert count_messages(msgs, "o200k_base").tokens == expected


def test_tools_for_other_tokenizers_are_approximated_by_json():
    import json

    tok = get_tokenizer("llama3")
    plain = count_messages(WEATHER_MESSAGES, "llama3")
    with_tools = count_messages(WEATHER_MESSAGES, "llama3", tools=WEATHER_TOOLS)
    assert with_tools.tokens == plain.tokens + tok.count(json.dumps(WEATHER_TOOLS[0], ensure_ascii=False))
    assert plain.exact and not with_tools.exact and any("JSON text" in n for n in with_tools.notes)


# --- validation (issue 8) ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["o200k_base", "cl100k_base", "llama3", "llama4", "qwen", "mistral",
                                  "approx:claude", "approx:gemini", "approx:chars"])
@pytest.mark.parametrize("bad", [{"content": "hi"}, {"role": "", "content": "hi"}, {"role": 3, "content": "hi"}])
def test_message_without_role_is_bad_input_everywhere(name, bad):
    msgs = [{"role": "user", "content": "ok"}, bad]
    with pytest.raises(BadInputError, match=r"messages\[1\].*role"):
        count_messages(msgs, name)


def test_deep_nesting_is_bad_input_not_recursion_error():
    from tokencost.messages import parse_chat_request

    deep: dict = {"type": "string"}
    for _ in range(5000):
        deep = {"type": "object", "properties": {"x": deep}}
    with pytest.raises(BadInputError, match="nested"):
        count_messages(WEATHER_MESSAGES, "o200k_base", tools=[{"type": "function", "function": {
            "name": "f", "parameters": deep}}])
    args: list = []
    for _ in range(5000):
        args = [args]
    with pytest.raises(BadInputError, match="nested"):
        count_messages([{"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": args}}]}],
                       "o200k_base")
    for text in ("[" * 100_000 + "]" * 100_000, '{"messages": ' + "[" * 200 + "]" * 200 + "}"):
        with pytest.raises(BadInputError, match="nested"):
            parse_chat_request(text, "req.json")


def test_parse_chat_request():
    import json

    from tokencost.messages import parse_chat_request

    msgs, tools = parse_chat_request(json.dumps({"messages": WEATHER_MESSAGES, "tools": WEATHER_TOOLS}), "r.json")
    assert msgs == WEATHER_MESSAGES and tools == WEATHER_TOOLS
    assert parse_chat_request(json.dumps(WEATHER_MESSAGES), "r.json") == (WEATHER_MESSAGES, None)
    for bad, match in [("{", "not valid JSON"), ('{"messages": 3}', "list of chat messages"),
                       ('[{"content": "x"}]', r"messages\[0\] has no 'role'"),
                       ('{"messages": [], "tools": {}}', "tools")]:
        with pytest.raises(BadInputError, match=match):
            parse_chat_request(bad, "r.json")


def test_tools_pad_the_first_system_text_only():
    tok = get_tokenizer("cl100k_base")
    msgs = [{"role": "user", "content": "Hi."}, {"role": "system", "content": []},
            {"role": "system", "content": "Answer briefly."}]
    delta = count_messages(msgs, "cl100k_base", tools=WEATHER_TOOLS).tokens - count_messages(msgs, "cl100k_base").tokens
    from tokencost.messages import OPENAI_TOOLS_OVERHEAD, OPENAI_TOOLS_SYSTEM_SAVING, render_openai_functions

    block = tok.count(render_openai_functions([WEATHER_TOOLS[0]["function"]]))
    padding = tok.count("Answer briefly.\n") - tok.count("Answer briefly.")
    assert delta == block + OPENAI_TOOLS_OVERHEAD - OPENAI_TOOLS_SYSTEM_SAVING + padding
