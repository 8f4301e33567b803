"""The fast path is pydantic's rule: for each key, of any value a command line or a dumped config can hold, it takes
exactly the values pydantic takes, and makes the same value of them (an int for a number as a float, a word as its
enum member)."""

from __future__ import annotations

from dataclasses import fields
from enum import Enum
from typing import Any, Literal, get_args, get_origin, get_type_hints

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from gradcheck.book.kinds import NETWORKS
from gradcheck.check import config, constraints

SECTIONS = {part.name: type(getattr(config.Config(), part.name)) for part in fields(config.Config)}
KEYS = [(name, key.name) for name, section in SECTIONS.items() for key in fields(section)]
ADAPTER = TypeAdapter(config.Config)


def words(hint: Any) -> list[str]:
    """Every word a key's type names: its Literals' and its enums' values."""
    if get_origin(hint) is Literal:
        return [arg for arg in get_args(hint) if isinstance(arg, str)]
    if isinstance(hint, type) and issubclass(hint, Enum):
        return [member.value for member in hint]
    return [word for arg in get_args(hint) for word in words(arg)]


HINTS = [hint for section in SECTIONS.values() for hint in get_type_hints(section, include_extras=True).values()]
WORDS = sorted({word for hint in HINTS for word in words(hint)} | set(NETWORKS) | {"", "U", "h0", "x.py:backward"})
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([0, 1, 16, 17, 255, 256, 2**53 + 1, 10**308, 10**309, -(10**400)]),
    st.floats(),
    st.sampled_from(WORDS),
    st.text(max_size=3),
)
VALUES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3))


def made_by_pydantic(section: str, name: str, value: Any) -> str:
    try:
        made = ADAPTER.validate_python({section: {name: value}})
    except ValidationError:
        return "refused"
    return repr(getattr(getattr(made, section), name))


def made_plainly(section: str, name: str, value: Any) -> str:
    try:
        return repr(constraints.plain_key(SECTIONS[section], name, value))
    except constraints.UnclearError:
        return "refused"


@pytest.mark.parametrize(("section", "name"), KEYS, ids=[f"{section}.{name}" for section, name in KEYS])
@given(value=VALUES)
def test_the_fast_path_takes_exactly_what_pydantic_takes(section, name, value):
    assert made_plainly(section, name, value) == made_by_pydantic(section, name, value)


@pytest.mark.parametrize(
    ("key", "value", "made"),
    [
        ("check.rtol", 10**30, "1e+30"),
        ("check.eps", 1, "1.0"),
        ("check.method", "complex-step", "<Method.COMPLEX_STEP: 'complex-step'>"),
        ("check.sample", 10**30, repr(10**30)),
        ("data.tokens", [0, 3], "[0, 3]"),
        ("model.kind", "lstm", "'lstm'"),
        ("user.layout", None, "None"),
    ],
)
def test_the_fast_path_takes_valid_values_itself(key, value, made):
    section, name = key.split(".")
    assert made_plainly(section, name, value) == made == made_by_pydantic(section, name, value)
