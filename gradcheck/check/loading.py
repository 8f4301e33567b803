"""Reading a config file: bytes → text → mapping → Config, every failure located by file (and line) in one line."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml

from gradcheck.check.config import Config, validate
from gradcheck.errors import ConfigError

CONFIG_SUFFIXES = (".toml", ".yaml", ".yml")
MAX_CONFIG_BYTES = 1_000_000  # a config is a few hundred bytes; explicit token lists stay far below this
MAX_NESTING = 64  # a config nests two levels; parsers recurse once per level and slow down long before failing


def load(path: Path) -> Config:
    """Read and validate a TOML or YAML config file."""
    return loads(_read_bytes(path), path)


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


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(path, None, f"{size:,} bytes is too large for a config (the limit is {MAX_CONFIG_BYTES:,})")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(path, None, "no such file") from None
    except IsADirectoryError:
        raise ConfigError(path, None, "is a directory, not a config file") from None
    except OSError as error:
        raise ConfigError(path, None, f"cannot read: {error.strerror or error}") from None
    return data


def _decode(data: bytes, path: Path) -> str:
    if path.suffix.lower() not in CONFIG_SUFFIXES:
        raise ConfigError(path, None, f"unknown config format {path.suffix!r}: use .toml, .yaml or .yml")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ConfigError(path, None, f"not UTF-8 text (byte {data[error.start]:#04x} at offset {error.start})") from None
    if not text.strip():
        raise ConfigError(path, None, "file is empty")
    if "\x00" in text:
        raise ConfigError(path, None, "binary file, not a config")
    return text


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
    try:
        return yaml.safe_load(text)
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


def _mark(error: yaml.MarkedYAMLError) -> str:
    mark = error.problem_mark or error.context_mark
    return f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
