"""Provider token-count APIs, against a fake server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tokencost.errors import BadInputError
from tokencost.remote_count import RemoteCountError, anthropic_count_tokens, gemini_count_tokens


class FakeProvider:
    """Records each request; answers with the queued (status, body) replies."""

    def __init__(self):
        self.requests: list[dict] = []
        self.replies: list[tuple[int, bytes]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("content-length", 0))
                body = self.rfile.read(length)
                fake.requests.append({"path": self.path, "headers": dict(self.headers), "body": json.loads(body)})
                status, payload = fake.replies.pop(0) if fake.replies else (500, b"{}")
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def reply(self, status: int, body) -> None:
        self.replies.append((status, body if isinstance(body, bytes) else json.dumps(body).encode()))

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake():
    f = FakeProvider()
    yield f
    f.close()


MSGS = [{"role": "user", "content": "Hello, Claude"}]


def test_anthropic_request_and_answer(fake):
    fake.reply(200, {"input_tokens": 14})
    n = anthropic_count_tokens(MSGS, "claude-sonnet-4-5", api_key="sk-test", base_url=fake.url + "/", system="Be brief")
    assert n == 14
    req = fake.requests[0]
    assert req["path"] == "/v1/messages/count_tokens"
    headers = {k.lower(): v for k, v in req["headers"].items()}
    assert headers["x-api-key"] == "sk-test"
    assert headers["anthropic-version"] == "2023-06-01"
    assert headers["content-type"] == "application/json"
    assert req["body"] == {"model": "claude-sonnet-4-5", "messages": MSGS, "system": "Be brief"}


def test_gemini_request_and_answer(fake):
    fake.reply(200, {"totalTokens": 10, "promptTokensDetails": []})
    n = gemini_count_tokens(
        [{"role": "user", "content": "The quick brown fox"}, {"role": "assistant", "content": [{"type": "text", "text": "ok"}]}],
        "gemini-2.5-flash",
        api_key="g-key",
        base_url=fake.url,
    )
    assert n == 10
    req = fake.requests[0]
    assert req["path"] == "/v1beta/models/gemini-2.5-flash:countTokens"
    assert "key=" not in req["path"]  # the key stays out of URLs and logs
    assert {k.lower(): v for k, v in req["headers"].items()}["x-goog-api-key"] == "g-key"
    assert req["body"] == {
        "contents": [
            {"role": "user", "parts": [{"text": "The quick brown fox"}]},
            {"role": "model", "parts": [{"text": "ok"}]},
        ]
    }


def test_gemini_plain_text(fake):
    fake.reply(200, {"totalTokens": 3})
    assert gemini_count_tokens("hi there", "models/gemini-2.0-flash", api_key="k", base_url=fake.url) == 3
    assert fake.requests[0]["path"] == "/v1beta/models/gemini-2.0-flash:countTokens"


def test_http_error_carries_provider_message(fake):
    fake.reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
    with pytest.raises(RemoteCountError, match="HTTP 401: invalid x-api-key"):
        anthropic_count_tokens(MSGS, "claude-x", api_key="bad", base_url=fake.url)


@pytest.mark.parametrize("body", [b"not json", b"[1, 2]", json.dumps({"input_tokens": "14"}).encode(), b"{}"])
def test_malformed_answers(fake, body):
    fake.reply(200, body)
    with pytest.raises(RemoteCountError):
        anthropic_count_tokens(MSGS, "claude-x", api_key="k", base_url=fake.url)


def test_key_is_required_and_never_implicit(monkeypatch):
    monkeypatch.setenv("ANTHROPIC_API_KEY", "from-env")
    with pytest.raises(BadInputError, match="needs your API key"):
        anthropic_count_tokens(MSGS, "claude-x", api_key="", base_url="http://127.0.0.1:9")
    with pytest.raises(BadInputError):
        gemini_count_tokens("x", "gemini", api_key=None, base_url="http://127.0.0.1:9")  # type: ignore[arg-type]


def test_unreachable_server_is_a_clear_error():
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(RemoteCountError, match="cannot reach 127.0.0.1"):
        anthropic_count_tokens(MSGS, "claude-x", api_key="k", base_url=f"http://127.0.0.1:{port}", timeout=2)
