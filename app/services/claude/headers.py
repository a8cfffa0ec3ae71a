"""Which headers cross the proxy, in each direction (SPEC §3, PROTOCOLS §3.4 and §5.3).

Upstream gets the client's headers minus credentials, cookies, Host, hop-by-hop headers
(and those named in Connection), X-Forwarded-* and other proxy/hosting headers, with
`Accept-Encoding: identity` so the bytes relayed back can be read for metering as they
are. The client gets upstream's headers minus hop-by-hop ones, cookies and headers that
would speak for our own host (Alt-Svc, HSTS, NEL); `Content-Encoding` and `Content-Length`
pass unchanged because the body bytes do.
"""
HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer", "trailers",
    "transfer-encoding", "upgrade", "proxy-connection",
})
_REQUEST_DROP = HOP_BY_HOP | {
    "host", "content-length", "accept-encoding", "expect", "cookie", "authorization", "x-api-key",
    "forwarded", "via", "x-real-ip", "true-client-ip", "x-client-ip", "x-request-id", "x-request-start",
    "x-cloud-trace-context", "rndr-id", "cdn-loop",
}
_REQUEST_DROP_PREFIXES = ("x-forwarded-", "cf-", "fly-", "x-vercel-", "x-envoy-", "x-amzn-", "x-appengine-",
                          "x-heroku-", "x-railway-", "x-render-")
_RESPONSE_DROP = HOP_BY_HOP | {
    "set-cookie", "set-cookie2", "server", "date", "alt-svc", "strict-transport-security", "nel", "report-to",
    "x-request-id",
}
OAUTH_BETA = "oauth-2025-04-20"


def _named_in_connection(headers):
    named = set()
    for name, value in headers:
        if name.lower() == "connection":
            named.update(token.strip().lower() for token in value.split(",") if token.strip())
    return named


def upstream_request_headers(client_headers, *, keep_credentials=()):
    """The client's headers as upstream should see them; `keep_credentials` names any of
    authorization / x-api-key to keep (a passthrough machine's own credential)."""
    client_headers = list(client_headers)
    dropped = _named_in_connection(client_headers)
    headers = {}
    for name, value in client_headers:
        lower = name.lower()
        if lower in keep_credentials:
            headers[name] = value
            continue
        if lower in _REQUEST_DROP or lower in dropped or lower.startswith(_REQUEST_DROP_PREFIXES):
            continue
        headers[name] = value
    headers["Accept-Encoding"] = "identity"
    return headers


def _find(headers, lower_name):
    for name in headers:
        if name.lower() == lower_name:
            return name
    return None


def merge_beta(headers, flag):
    """Add a flag to anthropic-beta, keeping whatever the client sent as it was."""
    name = _find(headers, "anthropic-beta")
    if name is None:
        headers["anthropic-beta"] = flag
        return headers
    flags = [part.strip() for part in headers[name].split(",")]
    if flag not in flags:
        headers[name] = f"{headers[name]},{flag}" if headers[name].strip() else flag
    return headers


def remove_beta(headers, flag):
    """Take one flag out of anthropic-beta (dropping the header if nothing is left)."""
    name = _find(headers, "anthropic-beta")
    if name is None:
        return headers
    flags = [part.strip() for part in headers[name].split(",")]
    if flag in flags:
        kept = [part for part in flags if part and part != flag]
        if kept:
            headers[name] = ",".join(kept)
        else:
            del headers[name]
    return headers


def inject_api_key(headers, api_key):
    """A pooled API key goes in x-api-key; the OAuth beta flag no longer describes the credential."""
    headers["x-api-key"] = api_key
    return remove_beta(headers, OAUTH_BETA)


def inject_oauth_token(headers, access_token):
    """A pooled OAuth access token goes in a bearer, with the OAuth beta merged in."""
    headers["Authorization"] = f"Bearer {access_token}"
    return merge_beta(headers, OAUTH_BETA)


def client_response_headers(upstream_headers, *, event_stream):
    """Upstream's response headers as the client should get them, as a list of pairs."""
    pairs = list(upstream_headers)
    dropped = _named_in_connection(pairs)
    kept = [(name, value) for name, value in pairs
            if name.lower() not in _RESPONSE_DROP and name.lower() not in dropped]
    if event_stream:
        kept = [(name, value) for name, value in kept if name.lower() not in ("cache-control", "x-accel-buffering")]
        kept += [("Cache-Control", "no-cache"), ("X-Accel-Buffering", "no")]
    return kept
