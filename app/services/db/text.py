"""Text from callers: PostgreSQL cannot store a NUL character in text, so no input may carry one."""


def fields_with_nul(data):
    """{field: [message]} for every top-level field of a JSON object whose value holds a NUL anywhere."""
    return {str(name): ["Must not contain NUL characters."] for name, value in data.items()
            if _has_nul(name) or _has_nul(value)}


def _has_nul(value):
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def clip_text(value, length):
    """A caller- or upstream-supplied string made fit for a ledger column: NUL replaced, cut to `length`."""
    return value.replace("\x00", "\ufffd")[:length] if isinstance(value, str) else value
