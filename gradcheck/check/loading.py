"""Reading a config file: bytes → text → mapping → Config, every failure located by file (and line) in one line."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradcheck.check.config import Config, validate
from gradcheck.errors import ConfigError

if TYPE_CHECKING:
    import yaml

CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")
MAX_CONFIG_BYTES = 1_000_000  # a config is a few hundred bytes; explicit token lists stay far below this
MAX_NESTING = 64  # a config nests two levels; parsers recurse once per level and slow down long before failing


def load(path: Path) -> Config:
    """Read and validate a TOML or YAML config file. The user's code it names (user.backward, user.forward) is found
    beside the config, as a relative path in a file means; an absolute path is kept."""
    return _beside(loads(_read_bytes(path), path), path)


def _beside(config: Config, path: Path) -> Config:
    user = config.user
    if user.backward is None:
        return config
    moved: dict[str, Any] = {
        key: os.path.abspath(os.path.join(os.path.dirname(path), spec))
        for key in ("backward", "forward")
        if (spec := getattr(user, key)) is not None and not os.path.isabs(spec)
    }
    return config.with_sections(user=replace(user, **moved))


def loads(data: bytes, path: Path) -> Config:
    """Validate the bytes of a config file named `path` (its suffix picks TOML or YAML)."""
    text = _decode(data, path)
    if _nesting(text) > MAX_NESTING:
        raise ConfigError(path, None, "nested too deeply to be a config")
    try:
        return validate(_parse(path, text), path)
    except RecursionError:
        raise ConfigError(path, None, "nested too deeply to be a config") from None


def _nesting(text: str) -> int:
    """The deepest running count of open brackets and braces: a cheap guard before parsers that recurse."""
    depth = deepest = 0
    for char in text:
        if char in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif char in "]}":
            depth = max(0, depth - 1)
    return deepest


_KINDS = {  # what a path that is not a regular file is, for the message
    stat.S_IFIFO: "a FIFO",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def special_kind(path: Path) -> str | None:
    """What `path` is (its symlinks followed) if it exists and is not a regular file or a folder: "a FIFO", …"""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return _KINDS.get(stat.S_IFMT(mode), "a special file")


def _read_bytes(path: Path) -> bytes:
    """At most MAX_CONFIG_BYTES of a regular file, the format checked first; never blocks on a FIFO or a device.

    The file is opened non-blocking (a FIFO's open would wait for a writer) and judged by fstat of what was
    opened (a symlink is followed, and no other file can be swapped in between), then read bounded: st_size
    is not trusted, a file may grow while it is read.
    """
    try:
        if path.is_dir():
            raise IsADirectoryError
        _check_format(path)  # before opening: a FIFO or a device of the wrong name is not even opened
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise ConfigError(path, None, "no such file") from None
    except IsADirectoryError:
        raise ConfigError(path, None, "is a directory, not a config file") from None
    except OSError as error:
        raise ConfigError(path, None, f"cannot read: {error.strerror or error}") from None
    with os.fdopen(fd, "rb") as file:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise ConfigError(path, None, "is a directory, not a config file")
        if not stat.S_ISREG(mode):
            raise ConfigError(path, None, f"not a regular file ({_KINDS.get(stat.S_IFMT(mode), 'a special file')})")
        size = os.fstat(fd).st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(path, None, f"{size:,} bytes is too large for a config (the limit is {MAX_CONFIG_BYTES:,})")
        try:
            data = file.read(MAX_CONFIG_BYTES + 1)
        except OSError as error:
            raise ConfigError(path, None, f"cannot read: {error.strerror or error}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(path, None, f"more than {MAX_CONFIG_BYTES:,} bytes is too large for a config")
    return data


def _check_format(path: Path) -> None:
    if path.suffix.lower() not in CONFIG_SUFFIXES:
        raise ConfigError(path, None, f"unknown config format {path.suffix!r}: use .toml, .yaml or .yml")


def _decode(data: bytes, path: Path) -> str:
    _check_format(path)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")  # a byte-order mark (Windows editors): neither parser takes it
    except UnicodeDecodeError as error:
        raise ConfigError(path, None, f"not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start})") from None
    if not text.strip():
        raise ConfigError(path, None, "file is empty")
    if "\x00" in text:
        raise ConfigError(path, None, "binary file, not a config")
    return text


class _DuplicateKeyError(Exception):
    """A key given twice in one YAML mapping: an error, as in TOML (PyYAML keeps the last one silently)."""

    def __init__(self, problem: str, mark: yaml.Mark) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark, self.context_mark = problem, mark, None


@cache
def _yaml_loader() -> type[yaml.SafeLoader]:
    """safe_load with YAML 1.2 numbers (1e-5 is a float) and duplicate keys refused; PyYAML is imported for YAML only."""
    import yaml

    class Loader(yaml.SafeLoader):
        def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
            seen: set[tuple[str, str]] = set()
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    key = (key_node.tag, key_node.value)
                    if key in seen:
                        shown = key_node.value if len(key_node.value) <= 40 else key_node.value[:39] + "…"
                        raise _DuplicateKeyError(f"the key {shown!r} is given twice", key_node.start_mark)
                    seen.add(key)
            return super().construct_mapping(node, deep=deep)

    # YAML 1.1 (PyYAML) needs a dot in a float, so 1e-5 would be the string "1e-5"; YAML 1.2 reads it as a number.
    Loader.add_implicit_resolver(
        "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"), list("-+0123456789")
    )
    return Loader


def _parse(path: Path, text: str) -> Any:
    if path.suffix.lower() == ".toml":
        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as error:
            message = str(error)
            at = re.search(r"\s*\(at line (\d+), column (\d+)\)", message)
            where = f"line {at[1]}, column {at[2]}: " if at else ""
            reason = message[: at.start()] if at else message
            if reason.startswith(("Cannot overwrite", "Cannot declare")):
                reason += " (a key or table given twice)"
            raise ConfigError(path, None, f"{where}invalid TOML: {reason}") from None
    return _parse_yaml(path, text)


def _parse_yaml(path: Path, text: str) -> Any:
    import yaml

    try:
        return yaml.load(text, Loader=_yaml_loader())  # a SafeLoader: no Python objects
    except _DuplicateKeyError as error:
        raise ConfigError(path, None, f"{_mark(error)}{error.problem}") from None
    except yaml.constructor.ConstructorError as error:
        if "python/" in str(error.problem):
            raise ConfigError(
                path, None, f"{_mark(error)}YAML tags that build Python objects are refused (safe_load only)"
            ) from None
        raise ConfigError(path, None, f"{_mark(error)}invalid YAML: {error.problem}") from None
    except yaml.composer.ComposerError as error:
        if "single document" in str(error.context):
            raise ConfigError(path, None, f"{_mark(error)}a config is one YAML document, found several") from None
        raise ConfigError(path, None, f"{_mark(error)}invalid YAML: {error.problem}") from None
    except yaml.MarkedYAMLError as error:
        raise ConfigError(path, None, f"{_mark(error)}invalid YAML: {error.problem or error.context}") from None
    except yaml.YAMLError as error:
        raise ConfigError(path, None, f"invalid YAML: {' '.join(str(error).split())}") from None


def _mark(error: yaml.MarkedYAMLError | _DuplicateKeyError) -> str:
    mark = error.problem_mark or error.context_mark
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
