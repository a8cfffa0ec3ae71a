"""What crosses the relay on the wire: bytes, streaming as it happens, headers both ways, paths."""
import gzip
import json

import requests

from tests.fakes.anthropic import MODEL, JsonReply, SseReply, message_body, message_events, usage_block
from tests.proxy.helpers import finished_rows, ledger_rows, proxy_url

MESSAGE = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
STREAM = dict(MESSAGE, stream=True)


def post_stream(live_server, machine, **kwargs):
    return requests.post(proxy_url(live_server.url, machine.token, "/v1/messages?beta=true"), json=STREAM,
                         headers={"anthropic-version": "2023-06-01"}, stream=True, timeout=(2, 5), **kwargs)


def test_a_stream_reaches_the_client_byte_for_byte(live_server, fake, machine):
    events = message_events(parts=("Grüße", " 🌍", " aus Köln"), usage=usage_block(input_tokens=21, output_tokens=9))
    blob = b"".join(events)
    # Chunk boundaries inside lines, events and multi-byte characters.
    chunks = [blob[i:i + 37] for i in range(0, len(blob), 37)]
    fake.route("POST", "/v1/messages", SseReply(chunks))
    with post_stream(live_server, machine) as response:
        body = b"".join(response.iter_content(chunk_size=None))
    assert response.status_code == 200
    assert body == blob
    assert response.headers["Content-Type"] == "text/event-stream; charset=utf-8"
    assert response.headers["X-Accel-Buffering"] == "no"
    assert response.headers["Cache-Control"] == "no-cache"
    assert "Content-Length" not in response.headers
    [row] = finished_rows()
    assert (row.outcome, row.stream, row.input_tokens, row.output_tokens) == ("ok", True, 21, 9)


def test_crlf_streams_are_relayed_unchanged_and_still_metered(live_server, fake, machine):
    blob = b"".join(message_events(usage=usage_block(input_tokens=5, output_tokens=7))).replace(b"\n", b"\r\n")
    fake.route("POST", "/v1/messages", SseReply([blob[i:i + 7] for i in range(0, len(blob), 7)]))
    with post_stream(live_server, machine) as response:
        assert b"".join(response.iter_content(chunk_size=None)) == blob
    [row] = finished_rows()
    assert (row.input_tokens, row.output_tokens) == (5, 7)


def test_each_event_reaches_the_client_before_upstream_sends_the_next(live_server, fake, machine):
    """Upstream sends event N+1 only once the client holds event N: a buffering relay stalls here."""
    events = message_events(parts=("one", "two", "three"))
    fake.route("POST", "/v1/messages", SseReply(events, lockstep=True, lockstep_timeout=4))
    with post_stream(live_server, machine) as response:
        chunks = response.iter_content(chunk_size=None)
        received = b""
        for count in range(1, len(events) + 1):
            expected = b"".join(events[:count])
            while len(received) < len(expected):
                received += next(chunks)
            assert received == expected
            fake.advance()
        assert b"".join(chunks) == b""
    assert fake.streams[0].wait() == "complete"


def test_client_headers_are_filtered_before_upstream(client, fake, machine):
    response = client.post(
        f"/anthropic/{machine.token}/v1/messages?beta=true", data=json.dumps(MESSAGE),
        headers={
            "Content-Type": "application/json", "Accept": "application/json",
            "anthropic-version": "2023-06-01", "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14",
            "anthropic-dangerous-direct-browser-access": "true", "x-stainless-lang": "python",
            "x-stainless-retry-count": "0", "x-app": "cli", "User-Agent": "claude-cli/2.0.36 (external, cli)",
            "x-claude-code-session-id": "3f1c", "X-Custom-Thing": "kept",
            "Authorization": f"Bearer {machine.token}", "x-api-key": machine.token, "Cookie": "session=abc",
            "X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https", "Forwarded": "for=203.0.113.9",
            "X-Real-IP": "203.0.113.9", "CF-Connecting-IP": "203.0.113.9", "Via": "1.1 edge",
            "Connection": "keep-alive, X-Hop-Test", "X-Hop-Test": "1", "Keep-Alive": "timeout=5",
            "Proxy-Authorization": "Basic eDp5", "TE": "trailers", "Accept-Encoding": "gzip, br",
        })
    assert response.status_code == 200
    [sent] = fake.requests
    assert sent.target == "/v1/messages?beta=true"
    assert sent.body == json.dumps(MESSAGE).encode()
    for name, value in [("content-type", "application/json"), ("accept", "application/json"),
                        ("anthropic-version", "2023-06-01"),
                        ("anthropic-beta", "claude-code-20250219,interleaved-thinking-2025-05-14"),
                        ("anthropic-dangerous-direct-browser-access", "true"), ("x-stainless-lang", "python"),
                        ("x-stainless-retry-count", "0"), ("x-app", "cli"),
                        ("user-agent", "claude-cli/2.0.36 (external, cli)"), ("x-claude-code-session-id", "3f1c"),
                        ("x-custom-thing", "kept"), ("x-api-key", "sk-ant-api03-pooled-key"),
                        ("accept-encoding", "identity"), ("host", fake.url.split("//")[1])]:
        assert sent.headers.get(name) == value, name
    for name in ("authorization", "cookie", "x-forwarded-for", "x-forwarded-proto", "forwarded", "x-real-ip",
                 "cf-connecting-ip", "via", "x-hop-test", "keep-alive", "proxy-authorization", "te"):
        assert name not in sent.headers, name
    assert machine.token not in repr(sent.header_items) + sent.target


def test_upstream_headers_are_filtered_before_the_client(live_server, fake, machine):
    fake.route("POST", "/v1/messages", JsonReply(200, message_body(), headers=[
        ("request-id", "req_upstream_1"), ("anthropic-ratelimit-requests-remaining", "49"),
        ("anthropic-ratelimit-unified-5h-utilization", "0.42"), ("retry-after", "3"),
        ("anthropic-organization-id", "org-1"), ("X-Custom-Upstream", "yes"),
        ("Set-Cookie", "__cf_bm=abc; path=/; domain=.anthropic.com"), ("Connection", "keep-alive, X-Upstream-Hop"),
        ("X-Upstream-Hop", "1"), ("Keep-Alive", "timeout=5"), ("Alt-Svc", 'h3=":443"'),
        ("Strict-Transport-Security", "max-age=31536000"), ("X-Request-Id", "upstream-made-this-up")]))
    response = requests.post(proxy_url(live_server.url, machine.token), json=MESSAGE, timeout=5)
    assert response.status_code == 200
    assert response.content == json.dumps(message_body()).encode()
    headers = response.headers
    assert headers["request-id"] == "req_upstream_1"
    assert headers["anthropic-ratelimit-requests-remaining"] == "49"
    assert headers["anthropic-ratelimit-unified-5h-utilization"] == "0.42"
    assert headers["retry-after"] == "3"
    assert headers["anthropic-organization-id"] == "org-1"
    assert headers["X-Custom-Upstream"] == "yes"
    assert headers["Content-Type"] == "application/json"
    assert headers["Content-Length"] == str(len(response.content))
    assert headers["X-Request-Id"].startswith("req_") and headers["X-Request-Id"] == finished_rows()[0].request_id
    for name in ("Set-Cookie", "X-Upstream-Hop", "Keep-Alive", "Alt-Svc", "Strict-Transport-Security"):
        assert name not in headers, name
    assert "cf_bm" not in str(headers)


def test_compressed_bodies_pass_through_with_consistent_headers(live_server, fake, machine):
    body = message_body(usage=usage_block(input_tokens=100, output_tokens=50))
    fake.route("POST", "/v1/messages", JsonReply(200, body, gzip_body=True))
    response = requests.post(proxy_url(live_server.url, machine.token), json=MESSAGE, stream=True, timeout=5,
                             headers={"Accept-Encoding": "gzip"})
    raw = response.raw.read(decode_content=False)
    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Content-Length"] == str(len(raw))
    assert json.loads(gzip.decompress(raw)) == body
    assert fake.requests[0].headers["accept-encoding"] == "identity"
    [row] = finished_rows()
    assert (row.input_tokens, row.output_tokens) == (100, 50)


def test_every_path_and_method_is_forwarded_with_its_query(client, fake, machine):
    fake.route("POST", "/api/event_logging/batch", JsonReply(200, {"accepted": 1}))
    fake.route("DELETE", "/v1/messages/batches/msgbatch_01", JsonReply(200, {"id": "msgbatch_01"}))
    assert client.get(f"/anthropic/{machine.token}/v1/models?limit=1000").get_json()["data"][0]["id"] == MODEL
    assert client.post(f"/anthropic/{machine.token}/api/event_logging/batch",
                       json={"events": []}).get_json() == {"accepted": 1}
    assert client.delete(f"/anthropic/{machine.token}/v1/messages/batches/msgbatch_01").get_json() == {
        "id": "msgbatch_01"}
    assert client.post(f"/ai/anthropic/{machine.token}/v1/messages/count_tokens", json=MESSAGE).get_json() == {
        "input_tokens": 42}
    assert [(r.method, r.target) for r in fake.requests] == [
        ("GET", "/v1/models?limit=1000"), ("POST", "/api/event_logging/batch"),
        ("DELETE", "/v1/messages/batches/msgbatch_01"), ("POST", "/v1/messages/count_tokens")]
    assert [(r.method, r.path, r.outcome) for r in ledger_rows()] == [
        ("GET", "/v1/models", "ok"), ("POST", "/api/event_logging/batch", "ok"),
        ("DELETE", "/v1/messages/batches/msgbatch_01", "ok"), ("POST", "/v1/messages/count_tokens", "ok")]


def test_head_of_the_base_answers_without_reaching_upstream(client, fake, machine):
    for path in (f"/anthropic/{machine.token}", f"/anthropic/{machine.token}/"):
        response = client.head(path)
        assert response.status_code == 200
        assert response.data == b""
    assert client.head("/anthropic/cct_unknown").status_code == 401
    assert fake.requests == []
    assert ledger_rows() == []


def test_upstream_errors_are_relayed_as_they_came(client, fake, machine):
    raw = b'{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_x"}'
    fake.route("POST", "/v1/messages", JsonReply(529, raw, headers={"retry-after": "7", "x-should-retry": "true"}))
    response = client.post(f"/anthropic/{machine.token}/v1/messages", json=MESSAGE)
    assert response.status_code == 529
    assert response.data == raw
    assert response.headers["retry-after"] == "7" and response.headers["x-should-retry"] == "true"
    [row] = ledger_rows()
    assert (row.outcome, row.status_code, row.error_type) == ("upstream_error", 529, "overloaded_error")


def test_a_body_without_content_type_gets_none_added(client, fake, machine):
    fake.route("DELETE", "/v1/files/file_1", JsonReply(204, b"", headers={"Content-Type": None}))
    response = client.delete(f"/anthropic/{machine.token}/v1/files/file_1")
    assert response.status_code == 204
    assert "Content-Type" not in response.headers
    [row] = ledger_rows()
    assert (row.outcome, row.status_code) == ("ok", 204)
