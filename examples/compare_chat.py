"""Compare models on a chat transcript, counted with each model's chat framing."""

import json
from pathlib import Path

from tokencost import compare

messages = json.loads(Path(__file__).with_name("chat.json").read_text(encoding="utf-8"))["messages"]
models = ["openai:gpt-4o-mini", "anthropic:claude-haiku-4-5", "bedrock:llama-3.3-70b", "groq:openai/gpt-oss-120b"]
for est in compare(messages, models, response_tokens=150):
    print(f"{est.model:38} {est.input_tokens:5} tokens ({est.count:11})  ${est.total_cost}")
