"""The commented starter config of `gradcheck init`: every key, its default and what it means, as TOML or YAML."""

from __future__ import annotations

import json
from dataclasses import fields
from enum import Enum
from typing import Any

from gradcheck.check.config import Config


def _literal(value: Any, fmt: str) -> str:
    if isinstance(value, Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False) if fmt == "toml" else value
    text = repr(value)
    mantissa, e, exponent = text.partition("e")
    return f"{mantissa}.0e{exponent}" if e and "." not in mantissa else text  # YAML 1.1 reads 1e-05 as a string


STARTER_HEADER = """\
gradcheck config: `gradcheck run {name}` checks the BPTT gradients of the tanh RNN of
Goodfellow et al., Deep Learning, eq. 10.8-10.28. Every key is optional; the values below are
the defaults. Commented keys are off by default. Editor completion: `gradcheck schema`."""


def starter(fmt: str, name: str) -> str:
    """A commented starter config in TOML or YAML, with every key, its default and what it means."""
    lines = [f"# {line}".rstrip() for line in STARTER_HEADER.format(name=name).splitlines()]
    examples = {
        **{"text": "hello world", "tokens": [0, 3, 1], "targets": [3, 1, 2], "params": ["U", "W"], "directions": 16},
        **{"backward": "my_rnn.py:backward", "forward": "my_rnn.py:forward"},
    }
    defaults = Config()
    for section in ("model", "data", "check", "user"):
        lines += ["", f"[{section}]" if fmt == "toml" else f"{section}:"]
        model = getattr(defaults, section)
        for field in fields(model):
            key, value = field.name, getattr(model, field.name)
            off = value is None
            shown = examples.get(key) if off else value
            if isinstance(shown, list):
                shown_text = "[" + ", ".join(_literal(v, "toml") for v in shown) + "]"
            else:
                shown_text = _literal(shown, fmt)
            prefix = "# " if off else ""
            indent = "" if fmt == "toml" else "  "
            entry = f"{key} = {shown_text}" if fmt == "toml" else f"{key}: {shown_text}"
            lines += [f"{indent}# {field.metadata['description']}", f"{indent}{prefix}{entry}"]
    return "\n".join(lines) + "\n"
