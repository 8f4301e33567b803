"""A key's rule written once and read two ways: by pydantic, and by the fast path that takes a plainly valid value
without importing it.

A key's rule is its type (ints, numbers, words, Literals, enums, lists, unions), its metadata (`meta(..., ge=1)`,
pydantic's Field arguments), the annotations below on a type inside it, and its section's pydantic config (strict,
NaN and inf refused). Pydantic is handed all of these when it builds the schema. The fast path reads the same ones,
for the built-in default and the command-line options over it: a value it cannot see is valid is left to pydantic,
which validates it and words any error.
"""

from __future__ import annotations

import contextlib
import math
import operator
from collections.abc import Callable, Collection
from dataclasses import fields
from enum import Enum
from functools import cache
from types import UnionType
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar, Union, get_args, get_origin, get_type_hints

from gradcheck.check.wording import show

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

Root = TypeVar("Root", bound="DataclassInstance")  # Config: a dataclass of section dataclasses

# pydantic's Field rules the fast path knows, each with its test and the words for it; a key's other metadata
BOUNDS: dict[str, tuple[Callable[[Any, Any], bool], str]] = {
    "ge": (operator.ge, "≥"),
    "gt": (operator.gt, ">"),
    "le": (operator.le, "≤"),
    "lt": (operator.lt, "<"),
}
LENGTHS: dict[str, Callable[[int, int], bool]] = {"min_length": operator.ge, "max_length": operator.le}
WORDS = {"description", "strict", "json_schema_extra"}  # no value has to obey these
KINDS = {int: "an integer", float: "a number"}  # `either`'s words for the type beside the literal word


class Constraint:
    """An annotation on a type inside a key: `holds` tells, without pydantic, whether a value of the type obeys it;
    `make` gives pydantic the same rule when it builds the schema (so defining the schema imports no pydantic)."""

    def __init__(self, holds: Callable[[Any], bool], make: Callable[[Any], object], rules: dict[str, Any] | None = None) -> None:
        self.holds, self.make, self.rules = holds, make, rules or {}

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], Any]) -> Any:
        return handler(Annotated[source, self.make(source)])


def meta(description: str, **rules: Any) -> dict[str, Any]:
    """A key's metadata: what it means (the schema's description, the option's help) and pydantic's Field rules."""
    return {"description": description, **rules}


def bounds(**rules: Any) -> Constraint:
    """Field rules on a type inside a key (`list[Annotated[int, bounds(ge=0)]]`), as pydantic's Field takes them."""

    def make(source: Any) -> object:
        from pydantic import Field

        return Field(**rules)

    return Constraint(lambda value: obeys(value, rules), make, rules)


def either() -> Constraint:
    """One message for a key that is a literal word or a number within bounds (`Literal["auto"] | Annotated[float,
    bounds(gt=0)]`): 'must be "auto" or a number > 0', its words read from the annotated type."""

    def make(source: Any) -> object:
        from pydantic import ValidationError, WrapValidator
        from pydantic_core import PydanticCustomError

        expected = " or ".join(_words(option) for option in get_args(source))

        def validate(value: Any, handler: Callable[[Any], Any]) -> Any:
            try:
                return handler(value)
            except ValidationError:
                words = {"expected": expected, "got": show(value)}
                raise PydanticCustomError("either", "must be {expected}, got {got}", words) from None

        return WrapValidator(validate)

    return Constraint(lambda value: True, make)  # the message only: the annotated type decides


def _words(option: Any) -> str:
    """'"auto"' for Literal["auto"], 'a number > 0' for Annotated[float, bounds(gt=0)]."""
    if get_origin(option) is Literal:
        return " or ".join(f'"{word}"' for word in get_args(option))
    kind, *extras = get_args(option) if get_origin(option) is Annotated else (option,)
    rules = [f"{BOUNDS[rule][1]} {bound}" for extra in extras for rule, bound in extra.rules.items()]
    return " and ".join([f"{KINDS[kind]} {rules[0]}", *rules[1:]]) if rules else KINDS[kind]


def one_of(choices: Collection[str]) -> Constraint:
    """A word from a list known only at run time (so not a Literal), with the words listed when it is not one."""

    def holds(value: Any) -> bool:
        return value in choices

    def make(source: Any) -> object:
        from pydantic import AfterValidator
        from pydantic_core import PydanticCustomError

        def validate(value: str) -> str:
            if not holds(value):
                expected = {"expected": "one of " + ", ".join(choices), "got": show(value)}
                raise PydanticCustomError("either", "must be {expected}, got {got}", expected)
            return value

        return AfterValidator(validate)

    return Constraint(holds, make)


def obeys(value: Any, rules: dict[str, Any]) -> bool:
    """Whether a number (or a string or list, by its length) obeys pydantic Field rules such as ge=1 or min_length=2;
    False for a rule it does not know, so that pydantic decides."""
    for rule, bound in rules.items():
        if rule in BOUNDS and not BOUNDS[rule][0](value, bound):
            return False
        if rule in LENGTHS and not LENGTHS[rule](len(value), bound):
            return False
        if rule not in (*BOUNDS, *LENGTHS, *WORDS):
            return False
    return True


class UnclearError(Exception):
    """A value that is not plainly valid: pydantic validates it (and words the error, if it is one)."""


def plain_key(section: type, name: str, value: Any) -> Any:
    """The value pydantic makes of `value` for key `name` of the section class `section`, when that is plain to see
    from the key's type, metadata and the section's pydantic config; anything else raises UnclearError."""
    hint, rules, strict, finite = _rules_of(section)[name]
    return _plain_value(hint, value, rules, strict, finite)


@cache
def _rules_of(section: type) -> dict[str, tuple[Any, dict[str, Any], bool, bool]]:
    """Each key of a section class: its type, its metadata, whether pydantic validates it strictly, whether NaN and
    inf are refused (the key's own `strict`, else the section's pydantic config)."""
    hints, config = get_type_hints(section, include_extras=True), getattr(section, "__pydantic_config__", {})
    keys = {key.name: dict(key.metadata) for key in fields(section)}
    finite = not config.get("allow_inf_nan", True)
    return {name: (hints[name], rules, rules.get("strict", config.get("strict", False)), finite) for name, rules in keys.items()}


def _plain_value(hint: Any, value: Any, rules: dict[str, Any], strict: bool, finite: bool) -> Any:
    """`value` as pydantic makes it from a valid value of type `hint` under Field `rules`, in strict mode or not
    (lax: an enum from its value), NaN and inf refused or not. Anything not plain raises UnclearError."""
    origin, args = get_origin(hint), get_args(hint)
    if origin is Annotated:
        result = _plain_value(args[0], value, rules, strict, finite)
        if not all(isinstance(extra, Constraint) and extra.holds(result) for extra in args[1:]):
            raise UnclearError
        return result
    if origin in (Union, UnionType):
        options = [option for option in args if option is not type(None)]
        if value is None and len(options) < len(args):
            return None
        for option in options:  # field rules belong to the type that is not None: Optional[int] with ge=1
            with contextlib.suppress(UnclearError):
                return _plain_value(option, value, rules if len(options) == 1 else {}, strict, finite)
        raise UnclearError
    if origin is Literal and type(value) is str and value in args:
        return value
    if origin is list and type(value) is list and obeys(value, rules):
        return [_plain_value(args[0], item, {}, strict, finite) for item in value]
    if isinstance(hint, type) and issubclass(hint, Enum):
        if isinstance(value, hint) or (not strict and isinstance(value, str) and value in {m.value for m in hint}):
            return hint(value)
        raise UnclearError
    if not strict:  # lax conversions (the text "3" for an int) are pydantic's to make
        raise UnclearError
    if hint is float and type(value) is int:  # pydantic takes an int for a float, as float() makes it
        try:
            value = float(value)
        except OverflowError:
            raise UnclearError from None
    if hint not in (int, float, bool, str) or type(value) is not hint:
        raise UnclearError
    if (hint is float and finite and not math.isfinite(value)) or not obeys(value, rules):
        raise UnclearError
    return value


def plainly(raw: dict[str, Any], root: type[Root]) -> Root | None:
    """The `root` config (a dataclass of section dataclasses) of raw data whose every key and value is plainly valid
    (see plain_key), made without pydantic; None if anything is unclear."""
    sections, defaults = {}, root()
    try:
        for part in fields(root):
            section: type = type(getattr(defaults, part.name))
            values = raw.get(part.name, {})
            if not isinstance(values, dict) or not values.keys() <= _rules_of(section).keys():
                return None
            sections[part.name] = section(**{name: plain_key(section, name, v) for name, v in values.items()})
    except UnclearError:
        return None
    return root(**sections) if raw.keys() <= sections.keys() else None
