"""The API as the Procfile serves it (gunicorn + gevent): a completion and a stream, metered."""
import requests

from tests.openai_api.conftest import auth, ledger_rows


def test_completions_and_streams_under_gunicorn(gunicorn_server, key, upstream):
    server = gunicorn_server()
    body = {"model": "qwen3-8b", "messages": [{"role": "user", "content": "Hi"}]}
    response = requests.post(server.url + "/v1/chat/completions", json=body, headers=auth(key), timeout=20)
    assert response.status_code == 200, server.log_text()
    assert response.json()["model"] == "qwen3-8b"
    assert response.headers["x-hep-cost-usd"] == "0.000004"

    with requests.post(server.url + "/v1/chat/completions", json={**body, "stream": True}, headers=auth(key),
                       stream=True, timeout=20) as streamed:
        text = b"".join(streamed.iter_content(None))
    assert text.endswith(b": x-hep-cost-usd: 0.000004\n: x-hep-remaining-usd: 19.999992\n\ndata: [DONE]\n\n")
    assert [(row.outcome, row.cost_micro_usd) for row in ledger_rows()] == [("ok", 4), ("ok", 4)]
