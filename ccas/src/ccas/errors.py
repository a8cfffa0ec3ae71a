"""What can go wrong, each with its exit status (documented in `ccas --help`)."""

EXIT_OK = 0
EXIT_REFUSED = 1          # the server answered with an error: unknown id, invalid input, conflict, 5xx
EXIT_USAGE = 2            # bad command line
EXIT_NOT_CONFIGURED = 3   # not logged in, no machine on this computer, or an unreadable config file
EXIT_AUTH = 4             # the server rejected the account key (wrong, or rotated)
EXIT_UNREACHABLE = 5      # no usable answer: connection failed, timed out, redirected, or not a Hep.gg AI server
EXIT_INTERNAL = 70        # a bug in ccas itself
EXIT_INTERRUPTED = 130    # Ctrl-C

EXIT_CODES_HELP = """exit status:
  0    success
  1    the server refused the request (unknown id, invalid input, conflict, server error)
  2    bad command line
  3    not logged in, no machine on this computer yet, or an unreadable config file
  4    the server rejected the account key (wrong, or rotated since login)
  5    the server could not be reached or gave no usable answer (connection, timeout, redirect)
  70   internal error in ccas
  130  interrupted"""


class CcasError(Exception):
    """An error reported as one line on stderr with its exit status."""

    exit_code = EXIT_REFUSED

    def __init__(self, message, exit_code=None):
        super().__init__(message)
        if exit_code is not None:
            self.exit_code = exit_code


class UsageError(CcasError):
    exit_code = EXIT_USAGE


class NotConfigured(CcasError):
    exit_code = EXIT_NOT_CONFIGURED


class AuthFailed(CcasError):
    exit_code = EXIT_AUTH


class Unreachable(CcasError):
    exit_code = EXIT_UNREACHABLE


class Refused(CcasError):
    exit_code = EXIT_REFUSED
