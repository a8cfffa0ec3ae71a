"""Tables and target verdicts for bench/run.py (markdown on stdout)."""
import os
import platform
import re
import subprocess
from dataclasses import dataclass, field

from bench.loadgen import percentile

MIB = 1024 * 1024
_LINE_NUMBER = re.compile(r":\d+\)$")
# Leaf frames of a worker waiting for work (py-spy cannot always tell them from busy ones).
_IDLE = {"Hub.run (gevent/hub.py)", "Arbiter.wait_for_signals (gunicorn/arbiter.py)",
         "EpollSelector.select (selectors.py)", "acquire_with_timeout (gevent/_threading.py)"}


@dataclass
class Row:
    """One measured line: a database, a scenario, a client count, a target (direct or app)."""

    database: str
    scenario: object
    clients: int
    target: str
    samples: list
    wall: float
    cpu_seconds: float = None
    peak_rss: int = None
    ledger: str = ""
    ledger_ok: bool = True
    notes: list = field(default_factory=list)

    def _ms(self, values, fraction):
        value = percentile(values, fraction)
        return None if value is None else value * 1000

    @property
    def ok_samples(self):
        return [s for s in self.samples if not s.error]

    @property
    def rate(self):
        return len(self.samples) / self.wall if self.wall else 0.0

    def latency(self, fraction):
        return self._ms([s.latency for s in self.ok_samples], fraction)

    def ttfb(self, fraction):
        return self._ms([s.ttfb for s in self.ok_samples], fraction)

    def lag(self, fraction):
        values = [lag / 1e9 for s in self.ok_samples for lag in s.lags_ns]
        return self._ms(values, fraction)

    @property
    def errors(self):
        return sum(1 for s in self.samples if s.error)

    @property
    def incomplete(self):
        return sum(1 for s in self.samples if s.incomplete)

    @property
    def cpu_ms(self):
        return None if self.cpu_seconds is None or not self.samples else self.cpu_seconds * 1000 / len(self.samples)


def _f(value, digits=2):
    return "–" if value is None else f"{value:.{digits}f}"


def machine_description():
    """nproc, CPU model, RAM, kernel, Python: one line."""
    model = ""
    try:
        for line in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if line.startswith("Model name:"):
                model = line.split(":", 1)[1].strip()
    except OSError:
        pass
    with open("/proc/meminfo") as handle:
        ram = int(handle.readline().split()[1]) / 1024 / 1024
    return (f"{os.cpu_count()} CPUs ({model or platform.processor()}), {ram:.0f} GiB RAM, "
            f"Linux {platform.release()}, Python {platform.python_version()}")


def load_average():
    return "/".join(f"{value:.2f}" for value in os.getloadavg())


def table(rows):
    """The main markdown table."""
    out = ["| DB | scenario | clients | target | requests | req/s | p50 ms | p90 ms | p99 ms | TTFB p50 ms "
           "| lag p50 ms | lag p99 ms | CPU ms/req | peak RSS MiB | errors | incomplete | ledger |",
           "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        out.append(f"| {r.database} | {r.scenario.title} | {r.clients} | {r.target} | {len(r.samples)} "
                   f"| {r.rate:.1f} | {_f(r.latency(.5))} | {_f(r.latency(.9))} | {_f(r.latency(.99))} "
                   f"| {_f(r.ttfb(.5))} | {_f(r.lag(.5))} | {_f(r.lag(.99))} | {_f(r.cpu_ms)} "
                   f"| {_f(r.peak_rss / MIB if r.peak_rss else None, 0)} | {r.errors} | {r.incomplete} "
                   f"| {r.ledger or '–'} |")
    return "\n".join(out)


def _pairs(rows):
    """{(database, scenario key, clients): {"direct": Row, "app": Row}}."""
    pairs = {}
    for r in rows:
        pairs.setdefault((r.database, r.scenario.key, r.clients), {})[r.target] = r
    return pairs


def verdicts(rows, thousand):
    """(target, measured, pass?) lines for issue 9's targets, per database."""
    lines = []

    def add(name, measured, passed):
        lines.append((name, measured, passed))

    for (database, _key, clients), pair in sorted(_pairs(rows).items(), key=lambda item: (item[0][0], item[0][2])):
        direct, app = pair.get("direct"), pair.get("app")
        if not direct or not app:
            continue
        title = f"{database}, {app.scenario.title}, {clients} client{'s' if clients > 1 else ''}"
        if clients == 1 and not app.scenario.stream and app.latency(.5) is not None:
            added = app.latency(.5) - direct.latency(.5)
            add(f"{title}: added p50 ≤ 1.5 ms", f"+{added:.2f} ms", added <= 1.5)
        if clients == 1 and app.scenario.stream and app.ttfb(.5) is not None:
            added = app.ttfb(.5) - direct.ttfb(.5)
            add(f"{title}: added TTFB p50 ≤ 2 ms", f"+{added:.2f} ms", added <= 2.0)
        if app.scenario.stream and app.lag(.99) is not None and direct.lag(.99) is not None:
            added = app.lag(.99) - direct.lag(.99)
            add(f"{title}: added lag p99 ≤ 1 ms", f"+{added:.2f} ms", added <= 1.0)
        if app.cpu_ms is not None:
            limit = 4.0 if app.scenario.stream else 2.0
            add(f"{title}: app CPU ≤ {limit:g} ms/request", f"{app.cpu_ms:.2f} ms", app.cpu_ms <= limit)
        if clients >= 50 and app.scenario.stream:
            ratio = app.rate / direct.rate if direct.rate else 0
            add(f"{title}: rate ≥ 0.9× direct", f"{ratio:.2f}× ({app.rate:.0f} vs {direct.rate:.0f}/s)", ratio >= 0.9)
        if clients >= 50 and not app.scenario.stream:
            ratio = app.rate / direct.rate if direct.rate else 0
            add(f"{title}: highest rate (bottleneck: see profile)", f"{app.rate:.0f}/s ({ratio:.2f}× direct)", None)
        add(f"{title}: zero errors/incomplete, one ledger row per request",
            f"{app.errors} errors, {app.incomplete} incomplete, ledger {app.ledger}",
            app.errors == 0 and app.incomplete == 0 and app.ledger_ok)
    for t in thousand:
        add(f"{t['database']}: {t['streams']} concurrent streams on one worker, no errors, peak RSS ≤ 200 MB",
            f"{t['max_open']} open at once, {t['errors']} errors, {t['incomplete']} incomplete, worker "
            f"{t['peak_worker'] / MIB:.0f} MiB, tree {t['peak_total'] / MIB:.0f} MiB, ledger {t['ledger']}",
            t["errors"] == 0 and t["incomplete"] == 0 and t["peak_total"] <= 200 * 1000 * 1000 and t["ledger_ok"])
    out = ["| target | measured | met |", "|---|---|---|"]
    for name, measured, passed in lines:
        out.append(f"| {name} | {measured} | {'–' if passed is None else ('yes' if passed else '**NO**')} |")
    return "\n".join(out), [name for name, _, passed in lines if passed is False]


def profile_summary(raw_path, top=15):
    """Where the workers spent their busy samples, from a py-spy `--format raw` file: the functions
    with the most samples of their own, and the app's functions including what they call."""
    own, inclusive, total = {}, {}, 0
    try:
        with open(raw_path) as handle:
            lines = handle.readlines()
    except OSError:
        return "(no profile)"
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_LINE_NUMBER.sub(")", frame) for frame in stack.split(";")
                  if frame and not frame.startswith(("process ", "thread "))]
        if not frames or frames[-1] in _IDLE:
            continue
        count = int(count)
        total += count
        own[frames[-1]] = own.get(frames[-1], 0) + count
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + count
    if not total:
        return "(empty profile)"
    out = [f"{total} busy samples. Own time:", ""]
    out += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in sorted(own.items(), key=lambda i: -i[1])[:top]]
    out += ["", "Including callees, the app's own functions:", ""]
    app_frames = [(frame, n) for frame, n in inclusive.items() if "(app/" in frame]
    out += [f"    {100 * n / total:5.1f}%  {frame}" for frame, n in sorted(app_frames, key=lambda i: -i[1])[:top]]
    return "\n".join(out)
