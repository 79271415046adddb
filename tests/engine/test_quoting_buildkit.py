"""The quoting functions against a real BuildKit build: one small image whose Env, Labels,
WorkingDir, Cmd and copied files must hold the hostile values exactly."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from engine_support import docker

from quatrain import engines
from quatrain.dockerfile import quoting

# The stand-in base image the test bed provides; never pulled.
BASE = "python:3.11-slim-bookworm"

VALUES = [
    "pa$$w0rd$HOME",
    "${X:-default}",
    'say "hi"',
    "back\\slash\\",
    "`id`; a && b | c",
    "ünïcödé 😀",
    "tab\there",
    "",
    "  spaces  ",
    "--flag",
    "'single'",
    "\u00a0nbsp",
]
LABELS = {
    "org.example.plain": "pa$$w0rd$HOME",
    "with space": 'say "hi"',
    'quote"key': "back\\slash\\",
    "dollar$key": "",
    "--flag": "${X}",
}
FILES = ["a b.txt", "it's.txt", 'say "hi".txt', "pa$$.txt", "<<EOF", "--from=x", "ü.py", "x]"]
WORKDIR = "/work dir/it's $HOME"
ARGV = ["printf", "a\nb", "$HOME", "\u202e", "😀", ""]


def dockerfile() -> str:
    env = [f"E{i}={quoting.env_value(v)}" for i, v in enumerate(VALUES)]
    labels = [f"{quoting.label_key(k)}={quoting.label_value(v)}" for k, v in LABELS.items()]
    shell_words = " ".join(quoting.shell_word(v) for v in VALUES)
    return "\n".join(
        [
            f"FROM {quoting.image_reference(BASE)}",
            f"ARG A={quoting.arg_default(VALUES[0])}",
            # An expansion of our own: the ARG's value, expanded once and not again.
            f"ENV FROM_ARG={quoting.env_value(quoting.Expansion('${A}'))}",
            "ENV " + " \\\n    ".join(env),
            "LABEL " + " \\\n      ".join(labels),
            f"WORKDIR {quoting.workdir(WORKDIR)}",
            f"COPY {quoting.copy_paths(FILES, '/copied/')}",
            # sh, not BuildKit, reads a RUN line: one argument a line, NUL-free, into a file.
            f"RUN printf '%s\\0' {shell_words} > /shell-words",
            f"EXPOSE {quoting.expose_port(8888)}",
            f"CMD {quoting.exec_form(ARGV)}",
            "",
        ]
    )


def test_buildkit_reads_every_quoted_value_back_exactly(
    engine: engines.Engine, image_tag: str, tmp_path: Path
) -> None:
    (tmp_path / "Dockerfile").write_text(dockerfile(), encoding="utf-8")
    for name in FILES:
        (tmp_path / name).write_text(name, encoding="utf-8")
    tag = f"{image_tag}:quoting"
    built = subprocess.run(
        [engine.binary, "build", "--network", "host", "--tag", tag, str(tmp_path)],
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]

    config = json.loads(
        docker(engine, "image", "inspect", "--format", "{{json .Config}}", tag).stdout
    )
    env = dict(entry.split("=", 1) for entry in config["Env"])
    assert [env[f"E{i}"] for i in range(len(VALUES))] == VALUES
    assert env["FROM_ARG"] == VALUES[0]
    assert {k: config["Labels"][k] for k in LABELS} == LABELS
    assert config["WorkingDir"] == WORKDIR
    assert config["Cmd"] == ARGV
    assert list(config["ExposedPorts"]) == ["8888/tcp"]

    probe = (
        "import json, os; print(json.dumps([sorted(os.listdir('/copied')), "
        "open('/shell-words', encoding='utf-8').read().split('\\0')[:-1]]))"
    )
    shown = docker(engine, "run", "--rm", "--network", "none", tag, "python", "-c", probe)
    copied, words = json.loads(shown.stdout)
    assert copied == sorted(FILES)
    assert words == VALUES
