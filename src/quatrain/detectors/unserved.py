"""Libraries whose apps quatrain does not serve by itself (chat bots, RQ), and why: detect.py
refuses them with the command to set, main_module.py runs a bot's own script."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, kw_only=True)
class Unserved:
    """A library whose apps quatrain does not serve by itself, and why."""

    what: str
    why: str
    imports: str  # the import name, to find the module to run
    command: str  # the command to suggest; {module} is the module found
    bot: bool = False  # a chat bot: the one module of it that runs itself is the image's


def _bot(service: str, gateway: str, imports: str) -> Unserved:
    """A chat bot library: what every bot needs to start is the same."""
    return Unserved(
        bot=True,
        what=f"a {service} bot library",
        why=f"a bot needs its token and {gateway} to start, and serves no port",
        imports=imports,
        command='["python", "-m", "{module}"]',
    )


# Why each gets a refusal rather than a detector: none of them can be shown to work from the
# image alone, in a container with no network and no secrets. A project that says how it runs
# one (a package's __main__.py, a bot's one script) is run as it says.
UNSERVED = {
    "python-telegram-bot": _bot("Telegram", "Telegram's servers", "telegram"),
    "aiogram": _bot("Telegram", "Telegram's servers", "aiogram"),
    "discord-py": _bot("Discord", "Discord's gateway", "discord"),
    "rq": Unserved(
        what="a Redis job queue",
        why="an RQ worker connects to Redis as it starts and exits when it cannot",
        imports="rq",
        command='["rq", "worker", "--url", "redis://REDIS_HOST:6379/0"]',
    ),
}
