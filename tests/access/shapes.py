"""The answers the matrix expects, surface by surface: exact error shapes, and the controls."""
import re


def anthropic_error(response, status, error_type="authentication_error"):
    body = response.get_json(silent=True) or {}
    ok = (response.status_code == status and set(body) <= {"type", "error", "request_id"}
          and body.get("type") == "error" and set(body.get("error") or {}) == {"type", "message"}
          and body["error"]["type"] == error_type and body["error"]["message"])
    return None if ok else f"{response.status_code} {response.data[:200]!r}"


def openai_error(response, status, code="invalid_api_key"):
    body = response.get_json(silent=True) or {}
    error = body.get("error") or {}
    ok = (response.status_code == status and set(body) == {"error"}
          and set(error) == {"message", "type", "param", "code"} and error["code"] == code and error["message"])
    return None if ok else f"{response.status_code} {response.data[:200]!r}"


def json_error(response, status, code):
    body = response.get_json(silent=True) or {}
    error = body.get("error") or {}
    ok = (response.status_code == status and set(body) == {"error"}
          and set(error) in ({"code", "message"}, {"code", "message", "fields"})
          and error["code"] == code and error["message"])
    return None if ok else f"{response.status_code} {response.data[:200]!r}"


def sign_in_redirect(response):
    ok = response.status_code == 302 and response.headers["Location"].startswith("/dashboard/login")
    return None if ok else f"{response.status_code} {response.headers.get('Location')}"


def html_error(response, status, text):
    ok = (response.status_code == status and response.mimetype == "text/html"
          and text.encode() in response.data)
    return None if ok else f"{response.status_code} {response.mimetype} {response.data[:200]!r}"


def not_refused(response):
    """The control: whatever the route answers, it is not a refusal of the credential."""
    refused = response.status_code in (401, 403) or (
        response.status_code == 302 and "/dashboard/login" in response.headers.get("Location", ""))
    if response.status_code == 400 and (b'"csrf_failed"' in response.data or b"Reload the page" in response.data):
        refused = True
    if response.request.path.endswith("/logout") and response.status_code in (200, 302):
        refused = False  # signing out answers with the sign-in page: that is its success
    if response.status_code == 404 and response.request.path.startswith("/me/"):
        refused = True
    return f"{response.status_code} {response.data[:200]!r}" if refused else None


def same_answer(theirs, unknown, values=("", "")):
    """Another user's id must answer exactly as an unknown one: status and body, the id itself aside.

    `values` is (their id, the unknown id); the unknown id (distinctive: 2147483000, no-such-...)
    is put back as theirs in the unknown answer, so any other difference shows.
    """
    def text(response):
        # Request ids and the CSRF tokens pages carry (timestamped per request) differ on every answer.
        body = re.sub(r'"request_id":\s*"[^"]*"', "", response.get_data(as_text=True))
        return re.sub(r'(name="csrf[-_]token" (?:content|value)=)"[^"]*"', r"\1", body)
    theirs_value, unknown_value = map(str, values)
    a = (theirs.status_code, text(theirs))
    b = (unknown.status_code, text(unknown).replace(unknown_value, theirs_value) if unknown_value else text(unknown))
    return None if a == b else f"other user's id {a[0]} {a[1][:300]!r} != unknown id {b[0]} {b[1][:300]!r}"
