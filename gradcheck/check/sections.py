"""The config's schema (DESIGN.md §3): one frozen dataclass per [section], each key's type, default, rule and meaning.

Pydantic validates a config file into them (check/config.py builds its validator, imported only then); the fast path
of check/constraints.py reads the same types and rules without it.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from gradcheck.book import kinds
from gradcheck.book.kinds import NETWORKS
from gradcheck.check.constraints import bounds, either, meta, one_of
from gradcheck.engine.compare import ATOL, RTOL
from gradcheck.engine.methods import Method


class H0Mode(StrEnum):
    """How h(0) is set: zeros, drawn at random, or a learned (and checked) parameter."""

    ZEROS = "zeros"
    RANDOM = "random"
    LEARNED = "learned"


class Inputs(StrEnum):
    """What x(t) is: a one-hot token or a dense gaussian vector."""

    ONE_HOT = "one-hot"
    GAUSSIAN = "gaussian"


Step = Annotated[Literal["auto"] | Annotated[float, bounds(gt=0)], either()]
Scale = Step  # init_std: "auto" or a positive number, with the same rule
Sample = Annotated[Literal["all"] | Annotated[int, bounds(ge=1)], either()]
Kind = Annotated[str, one_of(NETWORKS)]  # read when a config is validated: a registered network counts


def _describe_class(schema: dict[str, Any], cls: type) -> None:
    schema["description"] = inspect.cleandoc(cls.__doc__ or "")


class Section:
    """A frozen dataclass that pydantic reads from a config file: strict values, unknown keys and NaN or inf refused."""

    __pydantic_config__: ClassVar[dict[str, Any]] = {
        "extra": "forbid",
        "strict": True,
        "allow_inf_nan": False,
        "json_schema_extra": _describe_class,
    }

    @classmethod
    def __get_pydantic_core_schema__(cls, source: Any, handler: Callable[[Any], Any]) -> Any:
        """A section is read from a table of keys: strict about its values, not about being an instance already."""
        return {**handler(source), "strict": False}


@dataclass(frozen=True)
class ModelConfig(Section):
    """[model]: sizes and initialisation of the network of Fig. 10.3."""

    input_size: int = field(default=8, metadata=meta("I: input size (vocabulary size for one-hot inputs)", ge=1))
    hidden_size: int = field(default=16, metadata=meta("H: hidden size", ge=1))
    output_size: int = field(default=8, metadata=meta("O: number of classes", ge=1))
    init_std: Scale = field(
        default="auto",
        metadata=meta('parameters ~ N(0, init_std²); "auto": min(0.5, 2^min(1, 10/τ)/√H), which bends tanh but stays judgeable'),
    )
    h0: H0Mode = field(default=H0Mode.ZEROS, metadata=meta("h(0): zeros, random, or learned (checked)", strict=False))
    kind: Kind = field(
        default=kinds.DEFAULT,
        metadata=meta("the network: " + ", ".join(NETWORKS), json_schema_extra={"enum": list(NETWORKS)}),
    )
    variant: Literal["book", "common"] = field(
        default="book", metadata=meta('lstm and gru: "book" as printed, or "common" (the form of torch.nn.LSTM / GRU)')
    )
    layers: int = field(default=kinds.LAYERS, metadata=meta("deep: the number of stacked tanh layers", ge=1, le=16))


@dataclass(frozen=True)
class DataConfig(Section):
    """[data]: the sequence x(1..τ), y(1..τ)."""

    length: int = field(
        default=10, metadata=meta("τ: sequence length (leave it out with text, tokens or targets: derived)", ge=1)
    )
    inputs: Inputs = field(default=Inputs.ONE_HOT, metadata=meta("one-hot tokens or gaussian vectors", strict=False))
    seed: int = field(default=0, metadata=meta("seed of every random draw: parameters, data, sampled entries", ge=0))
    text: str | None = field(default=None, metadata=meta("character-level: x = text[:-1], y = text[1:]", min_length=2))
    tokens: list[Annotated[int, bounds(ge=0)]] | None = field(default=None, metadata=meta("explicit x tokens", min_length=1))
    targets: list[Annotated[int, bounds(ge=0)]] | None = field(default=None, metadata=meta("explicit y classes", min_length=1))


@dataclass(frozen=True)
class CheckConfig(Section):
    """[check]: how the gradients are estimated and compared."""

    method: Method = field(default=Method.CENTRAL, metadata=meta("finite-difference method", strict=False))
    eps: Step = field(default="auto", metadata=meta('step: "auto" scales with each entry, or a number'))
    params: list[str] | None = field(default=None, metadata=meta("parameters to check (default: all)", min_length=1))
    sample: Sample = field(default="all", metadata=meta('"all" entries, or N random entries per parameter'))
    tolerance: Literal["auto", "fixed"] = field(
        default="auto",
        metadata=meta('pass line: "auto" = the method\'s own error bound; "fixed" = rtol and atol (implied by them)'),
    )
    rtol: float = field(default=RTOL, metadata=meta('relative tolerance (tolerance = "fixed")', ge=0))
    atol: float = field(default=ATOL, metadata=meta('absolute tolerance (tolerance = "fixed")', ge=0))
    equations: bool = field(default=False, metadata=meta("also check each equation 10.18–10.28 against its own node"))
    memory_mb: int = field(default=64, metadata=meta("working memory for the batched perturbed copies, in MiB", ge=1))
    directions: int | None = field(
        default=None, metadata=meta("check K random unit directions per parameter instead of every entry (large models)", ge=1)
    )
    dense_directions: bool = field(
        default=False,
        metadata=meta("directions: dense random arrays instead of rank-one u vᵀ for a matrix (rank one: faster, as sure)"),
    )

    @property
    def memory_bytes(self) -> int:
        """memory_mb in bytes: the budget of the batched perturbed copies."""
        return self.memory_mb * 2**20


Layout = Literal["book", "min-char-rnn", "cs231n", "class"]


@dataclass(frozen=True)
class UserConfig(Section):
    """[user]: check your own code instead of the book's backward pass (run in a child process, with limits)."""

    backward: str | None = field(default=None, metadata=meta("your backward pass: FILE.py or FILE.py:FUNCTION", min_length=1))
    forward: str | None = field(
        default=None, metadata=meta("your forward pass too (same file): its loss is then the one differenced", min_length=1)
    )
    layout: Layout | None = field(
        default=None,
        metadata=meta("how your functions are called: book, min-char-rnn, cs231n or class (default: from the file)"),
    )
    timeout: float = field(default=60.0, metadata=meta("seconds each call of your code may take", gt=0))
    import_timeout: float = field(
        default=10.0, metadata=meta("seconds your file may take to load its definitions (its training is never run)", gt=0)
    )
    memory_mb: int = field(default=4096, metadata=meta("memory your code may use, in MiB", ge=256))
    python: str | None = field(
        default=None, metadata=meta("the Python (3.9+, with numpy) your code runs in (default: gradcheck's own)", min_length=1)
    )

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 2**20


def split_spec(spec: str) -> tuple[str, str | None]:
    """ "my_rnn.py:backward" → ("my_rnn.py", "backward"); "rnn.py:RNNNumpy.bptt" → ("rnn.py", "RNNNumpy.bptt");
    "my_rnn.py" → ("my_rnn.py", None)."""
    file, colon, function = spec.rpartition(":")
    named = colon and function.count(".") <= 1 and all(part.isidentifier() for part in function.split("."))
    return (file, function) if named else (spec, None)
