"""A client that drips its request body cannot hold a gunicorn worker: past REQUEST_BODY_TIMEOUT the
request is answered 408 in its API family's shape and the connection is closed; the proxy records
a rejected row, and the worker is left with nothing."""
import json
import socket
import threading

from tests.faults.conftest import claude_rows, llm_rows, wait_for
from tests.faults.procfs import leftovers


class Dripper:
    """A raw HTTP/1.1 client that sends its headers, then one body byte every `every` seconds."""

    def __init__(self, port, method, path, headers, *, chunked, every=0.2):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=15)
        framing = {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": "10000"}
        head = "".join(f"{name}: {value}\r\n" for name, value in {**headers, **framing}.items())
        self.sock.sendall(f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode())
        self.chunked, self.every = chunked, every
        self.stop = threading.Event()
        self.sent = 0
        threading.Thread(target=self._drip, daemon=True).start()

    def _drip(self):
        while not self.stop.wait(self.every):
            try:
                self.sock.sendall(b"1\r\n{\r\n" if self.chunked else b"{")
            except OSError:
                return
            self.sent += 1

    def response(self):
        """(status, headers, body) of the answer, read while the drip goes on."""
        data = b""
        while b"\r\n\r\n" not in data:
            data += self.sock.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode().split("\r\n")
        headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
        while len(body) < int(headers["content-length"]):
            body += self.sock.recv(65536)
        return int(lines[0].split()[1]), headers, json.loads(body)

    def closed_by_server(self):
        """Stop dripping and wait for the server to close the connection; True when it did."""
        self.stop.set()
        try:
            while self.sock.recv(65536):
                pass
            return True
        except TimeoutError:
            return False
        except OSError:  # reset rather than closed: closed all the same
            return True
        finally:
            self.sock.close()


def test_a_slow_drip_body_is_cut_off_with_a_408_in_each_apis_shape(serve, anthropic, machine, key, user):
    server = serve(REQUEST_BODY_TIMEOUT=1, KEEPALIVE=1)
    [worker] = server.worker_pids()
    port = int(server.url.rsplit(":", 1)[1])
    message = "The request body did not arrive in time (the limit is 1 s)."
    json_headers = {"Content-Type": "application/json"}
    cases = [
        ("POST", f"/anthropic/{machine.token}/v1/messages", {**json_headers, "anthropic-version": "2023-06-01"},
         False, lambda body: body["type"] == "error" and body["error"] == {
             "type": "invalid_request_error", "message": message} and body["request_id"].startswith("req_")),
        ("POST", "/v1/chat/completions", {**json_headers, "Authorization": f"Bearer {key.token}"}, True,
         lambda body: body == {"error": {"message": message, "type": "invalid_request_error", "param": None,
                                         "code": "request_timeout"}}),
        ("POST", "/api/v1/ai/cli/machines", {**json_headers, "Authorization": f"Bearer {user.account_key}"}, False,
         lambda body: body == {"error": {"code": "request_timeout", "message": message}}),
    ]
    # All at once: a worker serves the others while some clients drip.
    clients = [(Dripper(port, method, path, headers, chunked=chunked), path, shape)
               for method, path, headers, chunked, shape in cases]
    for client, path, shape in clients:
        status, _, body = client.response()
        assert status == 408 and shape(body), (path, status, body)
        assert client.sent < 100  # cut off long before the (10,000-byte) body could have arrived
    for client, path, _ in clients:
        assert client.closed_by_server(), path
    wait_for(lambda: not leftovers(worker, port), timeout=10, what="a clean worker")

    [row] = claude_rows()
    assert (row.outcome, row.status_code, row.error_type) == ("rejected", 408, "request_timeout")
    assert anthropic.requests == [] and llm_rows() == []  # nothing reached an upstream or got admitted
