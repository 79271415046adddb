"""Why an app stopped at start, read from its last log lines: the causes real projects hit, in
plain words, with what to do. Only the traceback's last exception is read; a log that names
none of these gets the general advice."""

from __future__ import annotations

import re

GENERAL = (
    "A missing setting is the usual cause: pass it with --run-env KEY=VALUE or --env-file FILE."
)

_MISSING_MODULE = re.compile(r"ModuleNotFoundError: No module named '(?P<name>[\w.]+)'")
_READ_ONLY = re.compile(r"PermissionError: \[Errno 13\] Permission denied: '(?P<path>[^']+)'")
_MISSING_SETTING = re.compile(r"KeyError: '(?P<name>[A-Za-z_][A-Za-z0-9_]*)'")
_REFUSED = re.compile(
    r"(?:[Cc]onnection refused|Connect call failed|Name or service not known|"
    r"Temporary failure in name resolution)"
)


def explain(log: str) -> str:
    """What to do about the failure the log ends with."""
    last = _last_exception(log)
    if found := _MISSING_MODULE.search(last):
        top = found["name"].split(".")[0]
        return (
            f"The app imports {top}, which the image does not have: production installs what "
            "poetry.lock holds for the main group (and the groups and extras chosen). If it is "
            "locked for development only, move it to the main dependencies or choose its group "
            "with groups; if it is not locked, add it with `poetry add` (its distribution may "
            "be named otherwise)."
        )
    if found := _READ_ONLY.search(last):
        return (
            f"The app writes {found['path']}, inside its code, which is read-only for its user "
            "in production. Write under ./data (writable), or commit the directory empty (with "
            "a .gitkeep alone in it) so that production makes it writable."
        )
    if (found := _MISSING_SETTING.search(last)) and "environ" in log:
        return (
            f"The app reads {found['name']} from its environment, and it is not set: pass it "
            "with --run-env KEY=VALUE or --env-file FILE."
        )
    if _REFUSED.search(last):
        return (
            "The app connects to a service (a database, a broker, an API) at start, and verify "
            "runs it without a network. Its image may well be right: check it with the "
            "service at hand, or make the connection happen at the first request."
        )
    return GENERAL


def _last_exception(log: str) -> str:
    """The log from the last traceback's final line on: the exception that stopped the app."""
    lines = log.splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if re.match(r"^[\w.]+(Error|Exception|Refused|Failure)\b.*:", lines[index]):
            return "\n".join(lines[index:])
    return log
