"""The local fake upstreams .ci/fuzz needs (Anthropic and an OpenAI-compatible server), on 127.0.0.1.

Reuses the suite's fakes (tests/fakes). Writes `ANTHROPIC_URL=...` and `OPENAI_URL=...` to the
file named on the command line once both listen, then serves until SIGTERM.
"""
import os
import signal
import sys
import threading

from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.openai import FakeOpenAI


def main(env_file):
    anthropic = FakeAnthropic().start()
    openai = FakeOpenAI().start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    with open(env_file + ".tmp", "w") as out:
        out.write(f"ANTHROPIC_URL={anthropic.url}\nOPENAI_URL={openai.url}\n")
    os.replace(env_file + ".tmp", env_file)
    while not stop.wait(0.5):
        # Nothing reads what the fakes recorded: keep their memory flat over a long run.
        del anthropic.requests[:], openai.requests[:]
    anthropic.stop()
    openai.stop()


if __name__ == "__main__":
    main(sys.argv[1])
