"""The config schema (DESIGN.md §3) as frozen dataclasses, and errors located by file and key.

Pydantic validates a config file into them and writes the JSON Schema; it is imported only then. The built-in default
and command-line values that are plainly valid (an integer within its bounds, a known word) are taken without it.
"""

from __future__ import annotations

import inspect
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum, StrEnum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal

from gradcheck.book import kinds
from gradcheck.book.kinds import NETWORKS
from gradcheck.book.network import Network
from gradcheck.check.constraints import bounds, either, meta, one_of, plainly
from gradcheck.check.wording import clip, explain, naming_options
from gradcheck.engine.compare import ATOL, RTOL
from gradcheck.engine.methods import Method
from gradcheck.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import TypeAdapter


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


class _Section:
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
class ModelConfig(_Section):
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
class DataConfig(_Section):
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
class CheckConfig(_Section):
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
class UserConfig(_Section):
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


@dataclass(frozen=True)
class Config(_Section):
    """A whole problem: the model, its data and how to check it."""

    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    check: CheckConfig = CheckConfig()
    user: UserConfig = UserConfig()

    @property
    def given(self) -> frozenset[str]:
        """The dotted keys the config was validated from, derived sizes and an implied tolerance included (what a
        file set); none for the built-in default."""
        keys: frozenset[str] = self.__dict__.get("_given", frozenset())
        return keys

    def with_sections(self, **sections: Any) -> Config:
        """This config with whole sections replaced, remembering the keys it was given."""
        return _remember(replace(self, **sections), self.given)

    @property
    def vocabulary(self) -> str | None:
        """The characters of data.text, sorted: index i is token i."""
        return "".join(sorted(set(self.data.text))) if self.data.text is not None else None

    @property
    def sizes(self) -> tuple[int, int, int, int]:
        """(I, H, O, τ) after data.text, data.tokens and data.targets are taken into account."""
        m, d = self.model, self.data
        if self.vocabulary is not None:
            n = len(self.vocabulary)
            return n, m.hidden_size, n, len(d.text or "") - 1
        sequence = d.tokens or (None if self.network.single_target else d.targets)  # one target, at τ
        return m.input_size, m.hidden_size, m.output_size, len(sequence) if sequence else d.length

    @property
    def init_std(self) -> float:
        """model.init_std, with "auto" resolved for these sizes (see auto_init_std)."""
        _, H, _, tau = self.sizes
        return auto_init_std(H, tau) if self.model.init_std == "auto" else float(self.model.init_std)

    @property
    def fixed_tolerance(self) -> bool:
        """True when rtol/atol decide: asked for, or implied by giving rtol or atol without a tolerance key (which
        validation writes in as tolerance = "fixed")."""
        return self.check.tolerance == "fixed"

    @property
    def checked_params(self) -> tuple[str, ...]:
        """Parameter names to check, in the fixed order U, W, V, b, c, h0."""
        learned = self.model.h0 is H0Mode.LEARNED
        names = self.param_names
        wanted = set(self.check.params) if self.check.params else {p for p in names if p != "h0" or learned}
        return tuple(p for p in names if p in wanted)

    @property
    def param_names(self) -> tuple[str, ...]:
        """Every parameter of the network model.kind selects, in table order."""
        I, H, O, _ = self.sizes
        return tuple(self.network.shapes(I, H, O))

    @property
    def network(self) -> Network:
        """The network model.kind selects, at model.layers."""
        return kinds.network(self.model.kind, self.model.layers)


def auto_init_std(H: int, tau: int) -> float:
    """A spread that makes tanh bend but keeps the network out of chaos and saturation at any size.

    With W ~ N(0, s²) the recurrence multiplies a perturbation by about g = s·√H per step, so over τ steps by g^τ.
    g = 2^min(1, 10/τ) keeps that growth under 2^10 ≈ 1000 for every τ (g = 2 up to τ = 10), and s never exceeds
    0.5, the built-in default problem's spread (H = 16, τ = 10 gives exactly 0.5).
    """
    return float(min(0.5, 2.0 ** min(1.0, 10 / tau) / H**0.5))


def _remember(config: Config, given: frozenset[str]) -> Config:
    """`config`, knowing the dotted keys it was given (see Config.given); set once, as the frozen config is made."""
    object.__setattr__(config, "_given", given)
    return config


@cache
def _adapter() -> TypeAdapter[Config]:
    """Pydantic's validator and JSON Schema of Config, built on first use: only a config file or the schema needs it."""
    from pydantic import TypeAdapter

    return TypeAdapter(Config)


def validate(raw: Any, path: Path | str | None = None) -> Config:
    """Validate raw mapping data into a Config, raising ConfigError with file and key on failure."""
    return _validate(raw, path, plain=False)


def _validate(raw: Any, path: Path | str | None, plain: bool) -> Config:
    """validate; with `plain`, data whose every value is plainly valid is taken without pydantic (the command-line
    options over the built-in default), and pydantic validates the rest, wording any error."""
    if not isinstance(raw, dict):
        raise ConfigError(path, None, "must be a mapping with sections model, data, check, user")
    raw = _implied_tolerance(_derived_sizes(raw))
    config = plainly(raw, Config) if plain else None
    if config is None:
        from pydantic import ValidationError

        try:
            config = _adapter().validate_python(raw)
        except ValidationError as error:
            key, reason = explain(error, Config())
            raise ConfigError(path, key, reason) from None
    _check_consistency(config, path)
    return _remember(config, frozenset(f"{name}.{key}" for name, keys in raw.items() for key in keys))


def _derived_sizes(raw: dict[str, Any]) -> dict[str, Any]:
    """Sizes that data.text, tokens or targets decide are written in when not given, so that a dump of the
    config (the JSON report's `config`) validates again to the same problem. Given sizes are left to be checked."""
    section = raw.get("data")
    if not isinstance(section, dict) or not isinstance(raw.get("model", {}), dict):
        return raw
    model, section = dict(raw.get("model", {})), dict(section)
    kind = model.get("kind")
    network = NETWORKS.get(kind) if isinstance(kind, str) else None
    single = network is not None and network.single_target  # one output: its one target says nothing of the length
    text, sequence = section.get("text"), section.get("tokens") or (None if single else section.get("targets"))
    if isinstance(text, str) and len(text) >= 2:
        model.setdefault("input_size", len(set(text)))
        model.setdefault("output_size", len(set(text)))
        section.setdefault("length", len(text) - 1)
    elif isinstance(sequence, list) and sequence:
        section.setdefault("length", len(sequence))
    else:
        return raw
    return {**raw, "model": model, "data": section}


def _implied_tolerance(raw: dict[str, Any]) -> dict[str, Any]:
    """rtol or atol without a tolerance key means tolerance = "fixed": written out, so a dump of the config
    (the JSON report's `config`) says so too and reproduces the run."""
    check = raw.get("check")
    if isinstance(check, dict) and "tolerance" not in check and {"rtol", "atol"} & check.keys():
        return {**raw, "check": {**check, "tolerance": "fixed"}}
    return raw


def dump(config: Config, keys: frozenset[str] | None = None) -> dict[str, dict[str, Any]]:
    """The config as JSON data (the report's `config`): every key, or only the dotted `keys`."""
    return {
        name: {
            key: value.value if isinstance(value, Enum) else value
            for key, value in section.items()
            if keys is None or f"{name}.{key}" in keys
        }
        for name, section in asdict(config).items()
    }


def with_overrides(config: Config, overrides: dict[str, Any], labels: dict[str, str], path: Path | str | None = None) -> Config:
    """Re-validate `config` (read from `path`, if any) with dotted-key overrides; errors name the option in `labels`,
    and the file too when one of the keys involved was set there."""
    raw = dump(config, config.given)
    for key, value in overrides.items():
        section, name = key.split(".")
        raw.setdefault(section, {})[name] = value
    try:
        return _validate(raw, None, plain=True)
    except ConfigError as error:
        raise naming_options(error, labels, overrides.keys(), config.given - overrides.keys(), path) from None


def describe(key: str) -> str:
    """What a dotted config key means, as the config schema words it (also the help of its command-line option)."""
    section, name = key.split(".")
    entry = next(entry for entry in fields(getattr(Config(), section)) if entry.name == name)
    return str(entry.metadata["description"])


def _check_consistency(config: Config, path: Path | str | None) -> None:
    """Cross-key rules that a single field cannot express."""
    m, d = config.model, config.data
    I, _, O, tau = config.sizes
    if d.text is not None:
        for key in ("tokens", "targets"):
            if getattr(d, key) is not None:
                raise ConfigError(path, f"data.{key}", "cannot be combined with data.text")
        for key in ("input_size", "output_size"):
            if getattr(m, key) != I:  # derived from the text unless given
                raise ConfigError(path, f"model.{key}", f"is {getattr(m, key)} but data.text has {I} distinct characters")
    if d.inputs is Inputs.GAUSSIAN and (d.text is not None or d.tokens is not None):
        raise ConfigError(path, "data.inputs", '"gaussian" cannot be combined with data.text or data.tokens')
    single = config.network.single_target
    if single and d.targets is not None and len(d.targets) != 1:
        reason = f"has {len(d.targets)} entries, but {m.kind} has one output, at t = τ: give its one target"
        raise ConfigError(path, "data.targets", reason)
    if not single and d.tokens is not None and d.targets is not None and len(d.tokens) != len(d.targets):
        raise ConfigError(path, "data.targets", f"has {len(d.targets)} entries but data.tokens has {len(d.tokens)}")
    for key, seq, bound, size in (("tokens", d.tokens, I, "model.input_size"), ("targets", d.targets, O, "model.output_size")):
        bad = [v for v in seq or [] if v >= bound]
        if bad:
            raise ConfigError(path, f"data.{key}", f"{bad[0]} is out of range: must be < {size} = {bound}")
    if d.length != tau:  # derived from the sequence unless given
        raise ConfigError(path, "data.length", f"is {d.length} but the given sequence has length {tau}")
    names = config.param_names
    for i, name in enumerate(config.check.params or []):
        if name not in names:
            choices = ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}"
            raise ConfigError(path, f"check.params[{i}]", f"must be one of {choices}, got {clip(json.dumps(name))}")
    _check_kind(config, path)
    if "h0" in (config.check.params or []) and m.h0 is not H0Mode.LEARNED:
        raise ConfigError(path, "check.params", 'h0 can be checked only when model.h0 = "learned"')
    if config.check.directions is not None and config.check.sample != "all":
        raise ConfigError(path, "check.sample", "cannot be combined with check.directions")
    if config.check.dense_directions and config.check.directions is None:
        raise ConfigError(path, "check.dense_directions", "is for a directional check: give check.directions too")
    if m.layers != kinds.LAYERS and config.network.layers is None:
        deep = " or ".join(f'"{kind}"' for kind, network in NETWORKS.items() if network.layers is not None)
        raise ConfigError(path, "model.layers", f"is the depth of model.kind = {deep}; {m.kind} has none to set")
    _check_user(config, path)


def _check_kind(config: Config, path: Path | str | None) -> None:
    """What the network's data rules allow: a learned or random h(0) only where it has an h(0) to set (else its
    initial states are zeros), a variant it offers, the user's code in the layouts written for it (else the book's)."""
    m, network = config.model, config.network
    if m.h0 is not H0Mode.ZEROS and not network.h0:
        raise ConfigError(path, "model.h0", f'model.kind = "{m.kind}" starts from zero states: h0 must be "zeros"')
    if m.variant not in network.variants:
        offering = " and ".join(kind for kind, other in NETWORKS.items() if m.variant in other.variants)
        raise ConfigError(path, "model.variant", f'"{m.variant}" is for {offering}; {m.kind} has one form')
    if config.user.backward is not None and config.user.layout not in (None, "book") and not network.own_layouts:
        reason = f'"{config.user.layout}" is a layout of Fig. 10.3\'s RNN; code for {m.kind} is called in the "book" layout'
        raise ConfigError(path, "user.layout", reason)


def split_spec(spec: str) -> tuple[str, str | None]:
    """ "my_rnn.py:backward" → ("my_rnn.py", "backward"); "rnn.py:RNNNumpy.bptt" → ("rnn.py", "RNNNumpy.bptt");
    "my_rnn.py" → ("my_rnn.py", None)."""
    file, colon, function = spec.rpartition(":")
    named = colon and function.count(".") <= 1 and all(part.isidentifier() for part in function.split("."))
    return (file, function) if named else (spec, None)


def _check_user(config: Config, path: Path | str | None) -> None:
    """What a layout can take: min-char-rnn reads token ids and returns no gradient for hprev."""
    user = config.user
    if user.forward is not None and user.backward is None:
        raise ConfigError(path, "user.forward", "needs user.backward (the forward is checked beside it)")
    if user.forward is not None and user.backward is not None and split_spec(user.forward)[0] != split_spec(user.backward)[0]:
        raise ConfigError(path, "user.forward", f"must be in the file of user.backward ({split_spec(user.backward)[0]})")
    if user.forward is not None and config.check.method is Method.COMPLEX_STEP:
        reason = '"complex-step" cannot difference user.forward: your code is not known to be complex-safe'
        raise ConfigError(path, "check.method", reason)
    if user.layout in ("min-char-rnn", "class") and user.backward is not None:
        if config.data.inputs is Inputs.GAUSSIAN:
            raise ConfigError(path, "user.layout", f'{user.layout} reads token ids: use data.inputs = "one-hot"')
        if config.model.h0 is H0Mode.LEARNED:
            reason = f'{user.layout} returns no gradient for h(0): model.h0 = "learned" cannot be checked'
            raise ConfigError(path, "user.layout", reason)


def json_schema() -> dict[str, Any]:
    """The config's JSON Schema, for editor completion and validation (unknown keys are rejected)."""
    schema = _adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gradcheck config"
    return schema
