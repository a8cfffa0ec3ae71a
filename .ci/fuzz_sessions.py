"""Sign in to the dashboard API of a running instance for .ci/fuzz; prints shell assignments.

HEPGG_FUZZ_SESSION / HEPGG_FUZZ_CSRF: the admin's session cookie and CSRF token.
HEPGG_FUZZ_SKILLS_KEY: the API user's skills access key, with one skill imported behind it.
The cookie is read from Set-Cookie by hand: it is marked Secure, and this talks plain HTTP.
"""
import shlex
import sys

import requests

SKILL = b"---\nname: fuzz-skill\ndescription: A skill for the fuzzer to find.\n---\n# Fuzz\n"


def _cookie(response):
    value = response.headers["Set-Cookie"].split(";", 1)[0]
    name, _, cookie = value.partition("=")
    assert name == "session", value
    return cookie


def sign_in(base, email, password):
    """(session cookie, CSRF token) of a fresh signed-in session."""
    first = requests.get(f"{base}/api/v1/ai/csrf-token", timeout=10)
    first.raise_for_status()
    reply = requests.post(f"{base}/api/v1/ai/login", json={"email": email, "password": password}, timeout=30,
                          headers={"X-CSRFToken": first.json()["csrf_token"], "Cookie": f"session={_cookie(first)}"})
    reply.raise_for_status()
    return _cookie(reply), reply.json()["csrf_token"]


def main(base, password):
    session, csrf = sign_in(base, "admin@fuzz.invalid", password)
    api_session, api_csrf = sign_in(base, "api@fuzz.invalid", password)
    headers = {"X-CSRFToken": api_csrf, "Cookie": f"session={api_session}"}
    minted = requests.post(f"{base}/api/v1/ai/skills/access-key", json={"action": "rotate"}, headers=headers,
                           timeout=10)
    minted.raise_for_status()
    key = minted.json()["access_key"]
    requests.post(f"{base}/me/{key}/import", data=SKILL, headers={"Content-Type": "text/markdown"},
                  timeout=10).raise_for_status()
    for name, value in (("HEPGG_FUZZ_SESSION", session), ("HEPGG_FUZZ_CSRF", csrf), ("HEPGG_FUZZ_SKILLS_KEY", key)):
        print(f"{name}={shlex.quote(value)}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
