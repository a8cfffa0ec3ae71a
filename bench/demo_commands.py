"""The ready-to-paste commands `make demo` prints, built from what it seeded.

Each command is a block: a `# title` line, then shell lines up to the next blank line, so a
block can be pasted whole (or run with `bash -c`) from the checkout's root. tests/demo reads
them back by title.
"""
import json
from dataclasses import dataclass

CLAUDE_MODEL = "claude-sonnet-5"
READY = "Ctrl-C stops the demo and everything it started."


@dataclass
class Seeded:
    """What the admin CLI created for the demo user."""

    email: str
    password: str
    account_key: str
    proxy_token: str
    llm_key: str
    usage_token: str
    model: str


def _anthropic_body(stream):
    return ('{"model":"%s","max_tokens":64,%s"messages":[{"role":"user","content":"Hello"}]}'
            % (CLAUDE_MODEL, '"stream":true,' if stream else ""))


def _openai_body(model, stream):
    extra = '"stream":true,"stream_options":{"include_usage":true},' if stream else ""
    return '{"model":"%s",%s"messages":[{"role":"user","content":"Hi"}]}' % (model, extra)


def blocks(base, seeded, data_dir):
    """(title, command lines) for every kind of client, in the order they are printed."""
    proxy = f"{base}/anthropic/{seeded.proxy_token}"
    anthropic_headers = "-H 'content-type: application/json' -H 'anthropic-version: 2023-06-01'"
    openai_headers = f"-H 'Authorization: Bearer {seeded.llm_key}' -H 'Content-Type: application/json'"
    chat = json.dumps([{"role": "user", "content": "Hi"}])
    return [
        ("Anthropic proxy (curl)", [
            f"curl -s {proxy}/v1/messages {anthropic_headers} \\",
            f"  -d '{_anthropic_body(False)}'",
        ]),
        ("Anthropic proxy, streaming (curl)", [
            f"curl -sN {proxy}/v1/messages {anthropic_headers} \\",
            f"  -d '{_anthropic_body(True)}'",
        ]),
        ("OpenAI-compatible API (curl)", [
            f"curl -s {base}/v1/chat/completions {openai_headers} \\",
            f"  -d '{_openai_body(seeded.model, False)}'",
        ]),
        ("OpenAI-compatible API, streaming (curl)", [
            f"curl -sN {base}/v1/chat/completions {openai_headers} \\",
            f"  -d '{_openai_body(seeded.model, True)}'",
        ]),
        ("anthropic SDK", [
            ".venv/bin/python - <<'EOF'",
            "import anthropic",
            f'client = anthropic.Anthropic(base_url="{proxy}", api_key="{seeded.proxy_token}")',
            f'message = client.messages.create(model="{CLAUDE_MODEL}", max_tokens=64,',
            '                                 messages=[{"role": "user", "content": "Hello"}])',
            'print("message:", message.content[0].text)',
            'print("usage:", message.usage.input_tokens, "in,", message.usage.output_tokens, "out")',
            f'with client.messages.stream(model="{CLAUDE_MODEL}", max_tokens=64,',
            '                            messages=[{"role": "user", "content": "Hello"}]) as stream:',
            '    print("stream:", "".join(stream.text_stream))',
            "EOF",
        ]),
        ("openai SDK", [
            ".venv/bin/python - <<'EOF'",
            "from openai import OpenAI",
            f'client = OpenAI(base_url="{base}/v1", api_key="{seeded.llm_key}")',
            'print("models:", [m.id for m in client.models.list()])',
            f'reply = client.chat.completions.create(model="{seeded.model}", messages={chat})',
            'print("reply:", reply.choices[0].message.content)',
            'print("usage:", reply.usage.prompt_tokens, "in,", reply.usage.completion_tokens, "out")',
            f'chunks = client.chat.completions.create(model="{seeded.model}", messages={chat}, stream=True)',
            'print("stream:", "".join(c.choices[0].delta.content or "" for c in chunks if c.choices))',
            "EOF",
        ]),
        ("Claude Code (in a new shell; it needs no claude.ai login with these two set)", [
            f"export ANTHROPIC_BASE_URL={proxy}",
            f"export ANTHROPIC_AUTH_TOKEN={seeded.proxy_token}",
            "claude",
        ]),
        ("Usage API (curl)", [
            f"curl -s {base}/usage -H 'Authorization: Bearer {seeded.usage_token}'",
        ]),
        ("ccas CLI (its login is kept in the demo directory, not in ~/.config)", [
            f"ccas() {{ XDG_CONFIG_HOME='{data_dir / 'config'}' .venv/bin/ccas \"$@\"; }}",
            f"ccas login --url {base} --key {seeded.account_key}",
            "ccas machine list",
            "ccas usage",
        ]),
    ]


def render(base, seeded, data_dir):
    """The whole text printed once the demo is up."""
    lines = [
        "",
        "Hep.gg AI demo is running on a fake upstream: no credentials needed, nothing leaves this machine.",
        "",
        f"Dashboard:  {base}/dashboard/",
        f"  email:    {seeded.email}",
        f"  password: {seeded.password}",
        "(an admin, so the admin pages show too)",
        "",
        "Seeded for that user (this run only): the machine 'demo-laptop' with its proxy token, an active",
        f"pooled account 'demo-pool' (a fake API key), the model '{seeded.model}', an LLM key and a usage token.",
        "The fake upstream answers every prompt with 8 pieces of text, each the time it was sent (t=<ns>).",
        "Paste any block below into another terminal, from this checkout's directory:",
        "",
    ]
    for title, commands in blocks(base, seeded, data_dir):
        lines += [f"# {title}", *commands, ""]
    lines += [f"Logs: {data_dir}/gunicorn.log, {data_dir}/fake_upstream.log", READY]
    return "\n".join(lines)
