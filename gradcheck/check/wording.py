"""A config error in words: one line naming the key (or the option that set it) and what is wrong with it.

Values are shown as the user wrote them (TOML/JSON spelling), kept short whatever their size.
"""

from __future__ import annotations

import datetime
import json
import re
import reprlib
from collections.abc import Collection
from dataclasses import fields, is_dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gradcheck.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import ValidationError

_RULES = {
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "bool_type": "must be true or false",
    "dataclass_type": "must be a table of keys",
    "dict_type": "must be a table of keys",
    "enum": "must be one of {expected}",
    "literal_error": "must be one of {expected}",
}


def explain(error: ValidationError, defaults: object) -> tuple[str, str]:
    """The first pydantic error as (dotted key, one-line reason); a misspelt key is matched against the keys of
    `defaults` (the default config) for a suggestion."""
    first = error.errors()[0]
    loc = [part for part in first["loc"] if isinstance(part, int) or not part.startswith(("literal[", "function-"))]
    key = ".".join(f"[{p}]" if isinstance(p, int) else clip(str(p)) for p in loc).replace(".[", "[")
    more = f" (and {error.error_count() - 1} more problem{'s' * (error.error_count() > 2)})" if error.error_count() > 1 else ""
    if first["type"] == "unexpected_keyword_argument":
        return key, f"unknown key{_suggest(loc, defaults)}{more}"
    if first["type"] == "either":
        return key, f"{first['msg']}{more}"
    if first["type"] in ("too_short", "too_long"):
        return key, f"{first['msg'][0].lower()}{first['msg'][1:]}{more}"
    template = _RULES.get(first["type"])
    reason = first["msg"][0].lower() + first["msg"][1:] if template is None else template.format(**first.get("ctx", {}))
    return key, f"{reason}, got {show(first['input'])}{more}"


def _suggest(loc: list[str | int], defaults: object) -> str:
    """'; did you mean X?' for a misspelt key, from the fields of the section it is in."""
    section = defaults
    for part in loc[:-1]:
        section = getattr(section, str(part), None)
        if not is_dataclass(section) or isinstance(section, type):
            return ""
    import difflib

    names = [key.name for key in fields(cast(Any, section))]
    close = difflib.get_close_matches(str(loc[-1]), names, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; valid keys: {', '.join(names)}"


def naming_options(
    error: ConfigError, labels: dict[str, str], overridden: Collection[str], in_file: Collection[str], path: Path | str | None
) -> ConfigError:
    """An error of keys that command-line options set, naming the option (`--eps (check.eps)`) beside each key its
    `labels` know, and the file `path` only when a key involved is one of the file's own (`in_file`)."""
    key = error.key or ""
    label = labels.get(key.partition("[")[0]) if key.partition("[")[0] in overridden else None
    reason = error.reason
    for other in overridden:  # "cannot be combined with check.directions": name the option that set it too
        if other in labels and other != key.partition("[")[0]:
            reason = reason.replace(other, f"{labels[other]} ({other})")
    from_file = any(name in in_file for name in (key.partition("[")[0], *_keys_in(reason)))
    return ConfigError(path if from_file else None, f"{label} ({key})" if label else key, reason)


def _keys_in(text: str) -> list[str]:
    """The dotted config keys a message mentions (check.directions, data.text, …)."""
    return re.findall(r"\b(?:model|data|check)\.[a-z_0-9]+", text)


def clip(text: str, limit: int = 40) -> str:
    """A key as written, cut to `limit` characters with … (a key may be half a megabyte long)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


class _UserRepr(reprlib.Repr):
    """reprlib, but dates and times as TOML/YAML spell them (1979-05-27), never datetime.date(1979, 5, 27)."""

    def repr_date(self, value: datetime.date, level: int) -> str:
        return value.isoformat()

    def repr_datetime(self, value: datetime.datetime, level: int) -> str:
        return value.isoformat()

    def repr_time(self, value: datetime.time, level: int) -> str:
        return value.isoformat()


_SHORT = _UserRepr()  # keyword arguments only from Python 3.12
_SHORT.maxlevel, _SHORT.maxlist, _SHORT.maxdict, _SHORT.maxstring, _SHORT.maxother = 2, 4, 3, 40, 40


def show(value: Any) -> str:
    """A value as the user wrote it (TOML/JSON spelling for scalars), kept short whatever its size."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, (bool, int, float, str)) or value is None:
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = _SHORT.repr(value)  # bounded: a YAML alias bomb must not be walked to print it
    return text if len(text) <= 60 else text[:57] + "..."
