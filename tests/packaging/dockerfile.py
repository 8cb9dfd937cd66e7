"""Reading the Dockerfile, and laying out the build context as Docker would send it."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
PACKAGES = ("pds", "vendor_client")


# -- reading the Dockerfile ---------------------------------------------------------------------


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) per logical line: continuations joined, comments dropped."""
    result, pending = [], ""
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        keyword, _, args = (pending + stripped).partition(" ")
        result.append((keyword.upper(), args.strip()))
        pending = ""
    return result


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's build stages, each its instructions from FROM on."""
    found: list[list[tuple[str, str]]] = []
    for keyword, args in instructions(DOCKERFILE.read_text()):
        if keyword == "FROM":
            found.append([])
        if found:
            found[-1].append((keyword, args))
    return found


def _stage_name(stage: list[tuple[str, str]]) -> str | None:
    found = re.search(r"\s+AS\s+(\S+)$", stage[0][1], re.IGNORECASE)
    return found.group(1).lower() if found else None


def stage_named(name: str) -> list[tuple[str, str]]:
    """The stage declared `FROM ... AS name`."""
    for stage in stages():
        if _stage_name(stage) == name.lower():
            return stage
    raise AssertionError(f"the Dockerfile has no stage named {name!r}")


def with_parents(stage: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The stage's instructions after those of the stage it is built FROM, if that is one of
    the Dockerfile's (ENV, USER, HEALTHCHECK... are inherited)."""
    parent = stage[0][1].split()[0].lower()
    if parent in {_stage_name(s) for s in stages()}:
        return with_parents(stage_named(parent)) + stage
    return stage


def image() -> list[tuple[str, str]]:
    """What the built image runs with: the last stage and the stages it is built from."""
    return with_parents(stages()[-1])


def last(stage: list[tuple[str, str]], keyword: str) -> str | None:
    values = [args for kw, args in stage if kw == keyword]
    return values[-1] if values else None


def exec_form(stage: list[tuple[str, str]], keyword: str) -> list[str]:
    """An ENTRYPOINT, CMD or HEALTHCHECK CMD in exec form (shell form would not get signals)."""
    args = last(stage, keyword) or "[]"
    if keyword == "HEALTHCHECK":  # options, then CMD [...]
        args = re.sub(r"^(?:--\S+\s+)*CMD\s+", "", args)
    argv = json.loads(args)
    assert isinstance(argv, list), f"{keyword} must be a JSON array, got {args!r}"
    return argv


def image_env(stage: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for keyword, args in stage:
        if keyword == "ENV":
            for pair in shlex.split(args):
                name, sep, value = pair.partition("=")
                assert sep, f"use ENV NAME=value, not {args!r}"
                env[name] = value
    return env


# -- the build context, as Docker would send it -------------------------------------------------


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """A .dockerignore pattern (Go filepath.Match plus `**`) as a regular expression."""
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out.append("[" + pattern[i + 1 : end].replace("!", "^", 1) + "]")
            i = end + 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out))


def dockerignored() -> Callable[[str], bool]:
    """A predicate: is this context-relative path left out of the build context?"""
    rules = []
    for line in (ROOT / ".dockerignore").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            negated = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip()).lstrip("/")
            rules.append((_glob_regex(pattern), negated))

    def ignored(relative: str) -> bool:
        parts = relative.split("/")
        candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]  # a path or a parent
        verdict = False
        for regex, negated in rules:  # as in Docker, the last matching rule wins
            if any(regex.fullmatch(c) for c in candidates):
                verdict = not negated
        return verdict

    return ignored


def builder_context(dest: Path) -> Path:
    """Lay out the builder stage's COPY lines in `dest`, honouring .dockerignore."""
    ignored = dockerignored()
    for keyword, args in stage_named("builder"):
        if keyword != "COPY":
            continue
        *sources, target = [a for a in shlex.split(args) if not a.startswith("--")]
        assert not Path(target).is_absolute(), f"COPY into WORKDIR, not {target!r}"
        for source in sources:
            assert not ignored(source), f".dockerignore drops {source}, which the build copies"
            origin = ROOT / source
            assert origin.exists(), f"COPY {source}: no such file in the repository"
            files = sorted(origin.rglob("*")) if origin.is_dir() else [origin]
            for file in files:
                relative = file.relative_to(ROOT).as_posix()
                if not file.is_file() or ignored(relative):
                    continue
                if origin.is_dir():
                    copied = dest / target / file.relative_to(origin)
                elif target.endswith("/") or target in (".", "./"):
                    copied = dest / target / file.name
                else:
                    copied = dest / target
                copied.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(file, copied)
    return dest
