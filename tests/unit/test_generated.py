from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from quatrain.dockerfile.generated import Written, is_generated, is_unedited, stamp, write
from quatrain.errors import WriteError

DOCKERFILE = "# Dockerfile for shop.\n# Edit it freely.\n\nFROM python:3.12-slim\n"
IGNORE = "# Keeps the context small.\n.git\n"


def digest_line(text: str) -> str:
    return f"# quatrain-digest: {hashlib.sha256(text.encode('utf-8')).hexdigest()}\n"


def test_the_digest_line_goes_after_the_leading_comment_lines() -> None:
    assert stamp(DOCKERFILE) == (
        "# Dockerfile for shop.\n# Edit it freely.\n"
        + digest_line(DOCKERFILE)
        + "\nFROM python:3.12-slim\n"
    )


def test_the_digest_line_goes_after_a_syntax_line_so_the_directive_stays_first() -> None:
    text = "# syntax=docker/dockerfile:1\n# Dockerfile for shop.\nFROM python:3.12-slim\n"

    lines = stamp(text).splitlines(keepends=True)

    assert lines == [
        "# syntax=docker/dockerfile:1\n",
        "# Dockerfile for shop.\n",
        digest_line(text),
        "FROM python:3.12-slim\n",
    ]


def test_the_digest_line_is_first_when_the_text_has_no_leading_comment() -> None:
    assert stamp("FROM scratch\n") == digest_line("FROM scratch\n") + "FROM scratch\n"


def test_a_stamped_text_is_generated_and_unedited() -> None:
    stamped = stamp(DOCKERFILE)

    assert is_generated(stamped) is True
    assert is_unedited(stamped) is True


def test_an_edited_stamped_text_is_generated_but_no_longer_unedited() -> None:
    edited = stamp(DOCKERFILE).replace("3.12-slim", "3.13-slim")

    assert is_generated(edited) is True
    assert is_unedited(edited) is False


def test_a_hand_written_text_is_neither_generated_nor_unedited() -> None:
    assert is_generated(DOCKERFILE) is False
    assert is_unedited(DOCKERFILE) is False


def test_a_digest_line_with_a_wrong_digest_is_not_unedited() -> None:
    forged = f"# quatrain-digest: {'0' * 64}\n{DOCKERFILE}"

    assert is_generated(forged) is True
    assert is_unedited(forged) is False


def test_write_creates_missing_files_stamped_in_name_order(tmp_path: Path) -> None:
    written = write({"Dockerfile": DOCKERFILE, ".dockerignore": IGNORE}, tmp_path / "new")

    assert written == [
        Written(path=tmp_path / "new" / ".dockerignore", outcome="created"),
        Written(path=tmp_path / "new" / "Dockerfile", outcome="created"),
    ]
    assert (tmp_path / "new" / "Dockerfile").read_text(encoding="utf-8") == stamp(DOCKERFILE)
    assert (tmp_path / "new" / ".dockerignore").read_text(encoding="utf-8") == stamp(IGNORE)


def test_writing_the_same_files_again_reports_them_unchanged(tmp_path: Path) -> None:
    write({"Dockerfile": DOCKERFILE}, tmp_path)

    assert write({"Dockerfile": DOCKERFILE}, tmp_path) == [
        Written(path=tmp_path / "Dockerfile", outcome="unchanged")
    ]


def test_an_unedited_generated_file_is_updated_in_place(tmp_path: Path) -> None:
    write({"Dockerfile": DOCKERFILE}, tmp_path)
    newer = DOCKERFILE.replace("3.12", "3.13")

    assert write({"Dockerfile": newer}, tmp_path) == [
        Written(path=tmp_path / "Dockerfile", outcome="updated")
    ]
    assert (tmp_path / "Dockerfile").read_text(encoding="utf-8") == stamp(newer)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


@pytest.mark.parametrize("kind", ["edited", "hand-written"])
def test_write_refuses_before_writing_anything_when_one_file_is_the_users(
    tmp_path: Path, kind: str
) -> None:
    users = stamp(DOCKERFILE) + "RUN echo mine\n" if kind == "edited" else "FROM mine\n"
    (tmp_path / "Dockerfile").write_text(users, encoding="utf-8")

    with pytest.raises(WriteError) as raised:
        write({"Dockerfile": DOCKERFILE, ".dockerignore": IGNORE}, tmp_path)

    assert str(raised.value) == (
        f"Not writing Dockerfile in {tmp_path}: written by you, or edited since quatrain "
        "wrote it. Your changes are kept. Use --stdout to see what quatrain would write, "
        "or --force to replace (the current file is kept as <name>.bak)."
    )
    assert raised.value.return_code == 8
    assert (tmp_path / "Dockerfile").read_text(encoding="utf-8") == users
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dockerfile"]


def test_write_names_every_file_of_the_users_it_refuses(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM mine\n", encoding="utf-8")
    (tmp_path / ".dockerignore").write_text("*.log\n", encoding="utf-8")

    with pytest.raises(WriteError, match=r"^Not writing \.dockerignore, Dockerfile in "):
        write({"Dockerfile": DOCKERFILE, ".dockerignore": IGNORE}, tmp_path)


def test_force_replaces_the_users_file_and_keeps_it_as_a_backup(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM mine\n", encoding="utf-8")

    written = write({"Dockerfile": DOCKERFILE}, tmp_path, force=True)

    assert written == [
        Written(
            path=tmp_path / "Dockerfile",
            outcome="replaced",
            backup=tmp_path / "Dockerfile.bak",
        )
    ]
    assert (tmp_path / "Dockerfile").read_text(encoding="utf-8") == stamp(DOCKERFILE)
    assert (tmp_path / "Dockerfile.bak").read_text(encoding="utf-8") == "FROM mine\n"


def test_a_second_forced_replace_keeps_both_backups(tmp_path: Path) -> None:
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM first\n", encoding="utf-8")
    write({"Dockerfile": DOCKERFILE}, tmp_path, force=True)
    dockerfile.write_text("FROM second\n", encoding="utf-8")

    written = write({"Dockerfile": DOCKERFILE}, tmp_path, force=True)

    assert written[0].backup == tmp_path / "Dockerfile.bak.1"
    assert (tmp_path / "Dockerfile.bak").read_text(encoding="utf-8") == "FROM first\n"
    assert (tmp_path / "Dockerfile.bak.1").read_text(encoding="utf-8") == "FROM second\n"
    assert dockerfile.read_text(encoding="utf-8") == stamp(DOCKERFILE)


def test_force_writes_the_other_files_as_usual(tmp_path: Path) -> None:
    (tmp_path / "Dockerfile").write_text("FROM mine\n", encoding="utf-8")

    written = write({"Dockerfile": DOCKERFILE, ".dockerignore": IGNORE}, tmp_path, force=True)

    assert [(w.path.name, w.outcome) for w in written] == [
        (".dockerignore", "created"),
        ("Dockerfile", "replaced"),
    ]


def test_the_backup_keeps_the_users_bytes_exactly(tmp_path: Path) -> None:
    original = b"# caf\xe9 (Latin-1)\nFROM mine\n"
    (tmp_path / "Dockerfile").write_bytes(original)

    write({"Dockerfile": DOCKERFILE}, tmp_path, force=True)

    assert (tmp_path / "Dockerfile.bak").read_bytes() == original


def test_force_never_writes_through_a_link_to_a_file_outside_the_project(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "elsewhere" / "Dockerfile"
    write_tree_of(project, outside)
    (project / "Dockerfile").symlink_to(outside)

    with pytest.raises(WriteError) as raised:
        write({"Dockerfile": DOCKERFILE}, project, force=True)

    assert str(raised.value) == (
        f"Not writing {project / 'Dockerfile'}: a symbolic link leads it to {outside}, outside "
        f"{project}, and quatrain writes only inside the project. Replace the link with a file "
        "(or remove it) and run init again, or use --stdout to write the file elsewhere."
    )
    assert raised.value.return_code == 8
    assert outside.read_text(encoding="utf-8") == "FROM theirs\n"
    assert sorted(p.name for p in outside.parent.iterdir()) == ["Dockerfile"]


def test_a_broken_link_out_of_the_project_is_not_followed_to_create_a_file(tmp_path: Path) -> None:
    project, outside = tmp_path / "project", tmp_path / "elsewhere" / "Dockerfile"
    project.mkdir()
    (project / "Dockerfile").symlink_to(outside)

    with pytest.raises(WriteError, match=r"a symbolic link leads it to .*, outside "):
        write({"Dockerfile": DOCKERFILE, ".dockerignore": IGNORE}, project)

    assert not outside.parent.exists()
    assert sorted(p.name for p in project.iterdir()) == ["Dockerfile"]  # nothing written


def test_a_link_to_a_file_inside_the_project_is_written_through(tmp_path: Path) -> None:
    (tmp_path / "docker").mkdir()
    (tmp_path / "Dockerfile").symlink_to(tmp_path / "docker" / "Dockerfile")

    write({"Dockerfile": DOCKERFILE}, tmp_path)

    assert (tmp_path / "docker" / "Dockerfile").read_text(encoding="utf-8") == stamp(DOCKERFILE)


@pytest.mark.parametrize("force", [False, True])
def test_a_directory_where_the_dockerfile_goes_is_a_write_error(
    tmp_path: Path, force: bool
) -> None:
    (tmp_path / "Dockerfile").mkdir()

    with pytest.raises(WriteError) as raised:
        write({"Dockerfile": DOCKERFILE}, tmp_path, force=force)

    assert str(raised.value) == (
        f"Not writing {tmp_path / 'Dockerfile'}: it is a directory (or another non-file), "
        "where quatrain writes a file. Move it away and run init again, or use --stdout to "
        "see the file."
    )


def test_a_directory_quatrain_may_not_write_in_is_a_write_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Tests run as root here, which chmod cannot stop: the error a read-only directory gives.
    real_open = Path.open

    def read_only(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if set(mode) & set("wxa"):
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(Path, "open", read_only)

    with pytest.raises(WriteError) as raised:
        write({"Dockerfile": DOCKERFILE}, tmp_path)

    assert str(raised.value) == (
        f"Cannot write {tmp_path / 'Dockerfile'}: Permission denied. Make {tmp_path} writable "
        "(and the file, if it exists) and run init again, or use --stdout to write the files "
        "elsewhere."
    )
    assert raised.value.return_code == 8


def test_a_link_named_like_the_backup_is_skipped_not_written_through(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.txt"
    project = tmp_path / "project"
    project.mkdir()
    (project / "Dockerfile").write_text("FROM mine\n", encoding="utf-8")
    (project / "Dockerfile.bak").symlink_to(outside)

    written = write({"Dockerfile": DOCKERFILE}, project, force=True)

    assert written[0].backup == project / "Dockerfile.bak.1"
    assert (project / "Dockerfile.bak.1").read_text(encoding="utf-8") == "FROM mine\n"
    assert not outside.exists()


def write_tree_of(project: Path, outside: Path) -> None:
    project.mkdir()
    outside.parent.mkdir()
    outside.write_text("FROM theirs\n", encoding="utf-8")


@pytest.mark.parametrize("existing", [None, "old generated"])
def test_an_interrupted_write_leaves_the_old_file_or_none_and_no_partial_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: str | None
) -> None:
    if existing is not None:
        write({"Dockerfile": existing}, tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    old = (tmp_path / "Dockerfile").read_text() if existing else None

    def interrupted(*args: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("os.replace", interrupted)
    monkeypatch.setattr("os.link", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write({"Dockerfile": "FROM python:3.12-slim\n" * 1000}, tmp_path)

    assert sorted(p.name for p in tmp_path.iterdir()) == before
    if old is not None:
        assert (tmp_path / "Dockerfile").read_text() == old


def test_an_updated_file_keeps_the_mode_the_user_gave_it(tmp_path: Path) -> None:
    write({"Dockerfile": "FROM a\n"}, tmp_path)
    (tmp_path / "Dockerfile").chmod(0o640)

    write({"Dockerfile": "FROM b\n"}, tmp_path)

    assert (tmp_path / "Dockerfile").stat().st_mode & 0o777 == 0o640
