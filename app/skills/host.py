"""The skills host (SKILLS_HOST): its root serves the registry.

A WSGI switch in front of the /ai mirror: on the skills host, `/` and `/<name>` become
`/skills/` and `/skills/<name>`, and `/me/...` stays as it is; nothing else of the app is
reachable there. Requests on other hosts pass through untouched (one header comparison),
and the switch is not installed at all when SKILLS_HOST is unset.
"""
ENVIRON_KEY = "hepgg.skills_host"
PUBLIC_PREFIX = "/skills"
PRIVATE_PREFIX = "/me/"


def normalize_host(value):
    """SKILLS_HOST as configured ('skills.hep.gg', 'https://skills.hep.gg/', 'host:8443') -> 'host[:port]'."""
    value = (value or "").strip().lower()
    if "://" in value:
        value = value.split("://", 1)[1]
    return value.split("/", 1)[0]


def _split_port(host):
    # "[::1]:8000" and "name:8000" carry a port; a bare IPv6 literal in brackets does not.
    name, sep, port = host.rpartition(":")
    if sep and port.isdigit() and (not name.startswith("[") or name.endswith("]")):
        return name, port
    return host, None


class SkillsHostSwitch:
    """Routes requests for the skills host to the registry's routes."""

    def __init__(self, app, skills_host):
        self.app = app
        self.host, self.port = _split_port(normalize_host(skills_host))

    def matches(self, http_host):
        """True when a Host header names the skills host (any port, unless SKILLS_HOST names one)."""
        host, port = _split_port((http_host or "").lower())
        return host == self.host and (self.port is None or port == self.port)

    def __call__(self, environ, start_response):
        if self.matches(environ.get("HTTP_HOST")):
            environ[ENVIRON_KEY] = True
            path = environ.get("PATH_INFO") or "/"
            if not path.startswith(PRIVATE_PREFIX):
                environ["PATH_INFO"] = PUBLIC_PREFIX + path
        return self.app(environ, start_response)


def wrap(wsgi_app, skills_host):
    """`wsgi_app` behind the skills-host switch, or unchanged when no skills host is configured."""
    if not normalize_host(skills_host):
        return wsgi_app
    return SkillsHostSwitch(wsgi_app, skills_host)
