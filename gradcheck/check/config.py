"""The config schema (DESIGN.md §3), TOML/YAML loading and errors located by file and key."""

from __future__ import annotations

import datetime
import difflib
import json
import re
import reprlib
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from gradcheck.book.kinds import FIG_10_3, KINDS, param_shapes
from gradcheck.engine.methods import Method
from gradcheck.errors import ConfigError

PARAM_NAMES = ("U", "W", "V", "b", "c", "h0")


class H0Mode(StrEnum):
    """How h(0) is set: zeros, drawn at random, or a learned (and checked) parameter."""

    ZEROS = "zeros"
    RANDOM = "random"
    LEARNED = "learned"


class Inputs(StrEnum):
    """What x(t) is: a one-hot token or a dense gaussian vector."""

    ONE_HOT = "one-hot"
    GAUSSIAN = "gaussian"


def _either(word: str, rule: str) -> WrapValidator:
    """Accept the literal `word` or a number obeying `rule`, with one message for both."""

    def validate(value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo) -> Any:
        try:
            return handler(value)
        except ValidationError:
            raise PydanticCustomError(
                "either", "must be {expected}, got {got}", {"expected": f'"{word}" or {rule}', "got": _show(value)}
            ) from None

    return WrapValidator(validate)


Step = Annotated[Literal["auto"] | Annotated[float, Field(gt=0)], _either("auto", "a number > 0")]
Scale = Step  # init_std: "auto" or a positive number, with the same rule
Sample = Annotated[Literal["all"] | Annotated[int, Field(ge=1)], _either("all", "an integer ≥ 1")]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


def _known_kind(kind: str) -> str:
    if kind not in KINDS:
        expected = {"expected": "one of " + ", ".join(KINDS), "got": _show(kind)}
        raise PydanticCustomError("either", "must be {expected}, got {got}", expected)
    return kind


Kind = Annotated[str, AfterValidator(_known_kind), Field(json_schema_extra={"enum": list(KINDS)})]


class ModelConfig(_Section):
    """[model]: sizes and initialisation of the network of Fig. 10.3."""

    input_size: int = Field(8, ge=1, description="I: input size (vocabulary size for one-hot inputs)")
    hidden_size: int = Field(16, ge=1, description="H: hidden size")
    output_size: int = Field(8, ge=1, description="O: number of classes")
    init_std: Scale = Field(
        "auto",
        description='parameters ~ N(0, init_std²); "auto": min(0.5, 2^min(1, 10/τ)/√H), which bends tanh but stays judgeable',
    )
    h0: H0Mode = Field(H0Mode.ZEROS, strict=False, description="h(0): zeros, random, or learned (checked)")
    kind: Kind = Field("fig-10.3", description="the network: " + ", ".join(KINDS))
    variant: Literal["book", "common"] = Field(
        "book", description='lstm and gru: "book" as printed, or "common" (the form of torch.nn.LSTM / GRU)'
    )
    layers: int = Field(2, ge=1, le=16, description="deep: the number of stacked tanh layers")


class DataConfig(_Section):
    """[data]: the sequence x(1..τ), y(1..τ)."""

    length: int = Field(10, ge=1, description="τ: sequence length (leave it out with text, tokens or targets: derived)")
    inputs: Inputs = Field(Inputs.ONE_HOT, strict=False, description="one-hot tokens or gaussian vectors")
    seed: int = Field(0, ge=0, description="seed of every random draw: parameters, data, sampled entries")
    text: str | None = Field(None, min_length=2, description="character-level: x = text[:-1], y = text[1:]")
    tokens: list[Annotated[int, Field(ge=0)]] | None = Field(None, min_length=1, description="explicit x tokens")
    targets: list[Annotated[int, Field(ge=0)]] | None = Field(None, min_length=1, description="explicit y classes")


class CheckConfig(_Section):
    """[check]: how the gradients are estimated and compared."""

    method: Method = Field(Method.CENTRAL, strict=False, description="finite-difference method")
    eps: Step = Field("auto", description='step: "auto" scales with each entry, or a number')
    params: list[str] | None = Field(None, min_length=1, description="parameters to check (default: all)")
    sample: Sample = Field("all", description='"all" entries, or N random entries per parameter')
    tolerance: Literal["auto", "fixed"] = Field(
        "auto", description='pass line: "auto" = the method\'s own error bound; "fixed" = rtol and atol (implied by them)'
    )
    rtol: float = Field(1e-5, ge=0, description='relative tolerance (tolerance = "fixed")')
    atol: float = Field(1e-8, ge=0, description='absolute tolerance (tolerance = "fixed")')
    equations: bool = Field(False, description="also check each equation 10.18–10.28 against its own node")
    memory_mb: int = Field(64, ge=1, description="working memory for the batched perturbed copies, in MiB")
    directions: int | None = Field(
        None, ge=1, description="check K random unit directions per parameter instead of every entry (large models)"
    )

    @model_validator(mode="before")
    @classmethod
    def _implied_tolerance(cls, data: Any) -> Any:
        """rtol or atol without a tolerance key means tolerance = "fixed": written out, so a dump of the config
        (the JSON report's `config`) says so too and reproduces the run."""
        if isinstance(data, dict) and "tolerance" not in data and {"rtol", "atol"} & data.keys():
            return {**data, "tolerance": "fixed"}
        return data

    @property
    def memory_bytes(self) -> int:
        """memory_mb in bytes: the budget of the batched perturbed copies."""
        return self.memory_mb * 2**20


Layout = Literal["book", "min-char-rnn", "cs231n"]


class UserConfig(_Section):
    """[user]: check your own code instead of the book's backward pass (run in a child process, with limits)."""

    backward: str | None = Field(None, min_length=1, description="your backward pass: FILE.py or FILE.py:FUNCTION")
    forward: str | None = Field(
        None, min_length=1, description="your forward pass too (same file): its loss is then the one differenced"
    )
    layout: Layout = Field("book", description="how your functions are called: book, min-char-rnn or cs231n")
    timeout: float = Field(60.0, gt=0, description="seconds your code may take to import, and for each call")
    memory_mb: int = Field(4096, ge=256, description="memory your code may use, in MiB")

    @property
    def memory_bytes(self) -> int:
        return self.memory_mb * 2**20


class Config(_Section):
    """A whole problem: the model, its data and how to check it."""

    model: ModelConfig = ModelConfig()
    data: DataConfig = DataConfig()
    check: CheckConfig = CheckConfig()
    user: UserConfig = UserConfig()

    @model_validator(mode="before")
    @classmethod
    def _derived_sizes(cls, data: Any) -> Any:
        """Sizes that data.text, tokens or targets decide are written in when not given, so that a dump of the
        config (the JSON report's `config`) validates again to the same problem. Given sizes are left to be checked."""
        section = data.get("data") if isinstance(data, dict) else None
        if not isinstance(section, dict) or not isinstance(data.get("model", {}), dict):
            return data
        model, section = dict(data.get("model", {})), dict(section)
        text, sequence = section.get("text"), section.get("tokens") or section.get("targets")
        if isinstance(text, str) and len(text) >= 2:
            model.setdefault("input_size", len(set(text)))
            model.setdefault("output_size", len(set(text)))
            section.setdefault("length", len(text) - 1)
        elif isinstance(sequence, list) and sequence:
            section.setdefault("length", len(sequence))
        else:
            return data
        return {**data, "model": model, "data": section}

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
        sequence = d.tokens or d.targets
        return m.input_size, m.hidden_size, m.output_size, len(sequence) if sequence else d.length

    @property
    def init_std(self) -> float:
        """model.init_std, with "auto" resolved for these sizes (see auto_init_std)."""
        _, H, _, tau = self.sizes
        return auto_init_std(H, tau) if self.model.init_std == "auto" else float(self.model.init_std)

    @property
    def fixed_tolerance(self) -> bool:
        """True when rtol/atol decide: asked for, or implied by giving rtol or atol without a tolerance key."""
        given = self.check.model_fields_set
        if "tolerance" in given:
            return self.check.tolerance == "fixed"
        return bool({"rtol", "atol"} & given)

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
        if self.model.kind == FIG_10_3:
            return PARAM_NAMES
        I, H, O, _ = self.sizes
        return tuple(param_shapes(self.model.kind, I, H, O, self.model.layers))


def auto_init_std(H: int, tau: int) -> float:
    """A spread that makes tanh bend but keeps the network out of chaos and saturation at any size.

    With W ~ N(0, s²) the recurrence multiplies a perturbation by about g = s·√H per step, so over τ steps by g^τ.
    g = 2^min(1, 10/τ) keeps that growth under 2^10 ≈ 1000 for every τ (g = 2 up to τ = 10), and s never exceeds
    0.5, the built-in default problem's spread (H = 16, τ = 10 gives exactly 0.5).
    """
    return float(min(0.5, 2.0 ** min(1.0, 10 / tau) / H**0.5))


def validate(raw: Any, path: Path | str | None = None) -> Config:
    """Validate raw mapping data into a Config, raising ConfigError with file and key on failure."""
    if not isinstance(raw, dict):
        raise ConfigError(path, None, "must be a mapping with sections model, data, check, user")
    try:
        config = Config.model_validate(raw)
    except ValidationError as error:
        key, reason = _explain(error)
        raise ConfigError(path, key, reason) from None
    _check_consistency(config, path)
    return config


def with_overrides(config: Config, overrides: dict[str, Any], labels: dict[str, str], path: Path | str | None = None) -> Config:
    """Re-validate `config` (read from `path`, if any) with dotted-key overrides; errors name the option in `labels`,
    and the file too when one of the keys involved was set there."""
    raw = config.model_dump(mode="json", exclude_unset=True)
    in_file = {f"{section}.{name}" for section, keys in raw.items() for name in keys}
    for key, value in overrides.items():
        section, name = key.split(".")
        raw.setdefault(section, {})[name] = value
    try:
        return validate(raw)
    except ConfigError as error:
        key = error.key or ""
        label = labels.get(key.partition("[")[0]) if key.partition("[")[0] in overrides else None
        reason = error.reason
        for other in overrides:  # "cannot be combined with check.directions": name the option that set it too
            if other in labels and other != key.partition("[")[0]:
                reason = reason.replace(other, f"{labels[other]} ({other})")
        from_file = any(name in in_file - overrides.keys() for name in (key.partition("[")[0], *_keys_in(reason)))
        raise ConfigError(path if from_file else None, f"{label} ({key})" if label else key, reason) from None


def _keys_in(text: str) -> list[str]:
    """The dotted config keys a message mentions (check.directions, data.text, …)."""
    return re.findall(r"\b(?:model|data|check)\.[a-z_0-9]+", text)


def describe(key: str) -> str:
    """What a dotted config key means, as the config schema words it (also the help of its command-line option)."""
    section, name = key.split(".")
    field = type(getattr(Config(), section)).model_fields[name]
    return field.description or ""


def _check_consistency(config: Config, path: Path | str | None) -> None:
    """Cross-key rules that a single field cannot express."""
    m, d = config.model, config.data
    I, _, O, tau = config.sizes
    if d.text is not None:
        for key in ("tokens", "targets"):
            if getattr(d, key) is not None:
                raise ConfigError(path, f"data.{key}", "cannot be combined with data.text")
        for key in ("input_size", "output_size"):
            if key in m.model_fields_set and getattr(m, key) != I:
                raise ConfigError(path, f"model.{key}", f"is {getattr(m, key)} but data.text has {I} distinct characters")
    if d.inputs is Inputs.GAUSSIAN and (d.text is not None or d.tokens is not None):
        raise ConfigError(path, "data.inputs", '"gaussian" cannot be combined with data.text or data.tokens')
    if d.tokens is not None and d.targets is not None and len(d.tokens) != len(d.targets):
        raise ConfigError(path, "data.targets", f"has {len(d.targets)} entries but data.tokens has {len(d.tokens)}")
    for key, seq, bound, size in (("tokens", d.tokens, I, "model.input_size"), ("targets", d.targets, O, "model.output_size")):
        bad = [v for v in seq or [] if v >= bound]
        if bad:
            raise ConfigError(path, f"data.{key}", f"{bad[0]} is out of range: must be < {size} = {bound}")
    if "length" in d.model_fields_set and d.length != tau:
        raise ConfigError(path, "data.length", f"is {d.length} but the given sequence has length {tau}")
    names = config.param_names
    for i, name in enumerate(config.check.params or []):
        if name not in names:
            choices = ", ".join(repr(n) for n in names[:-1]) + f" or {names[-1]!r}"
            raise ConfigError(path, f"check.params[{i}]", f"must be one of {choices}, got {_clip(json.dumps(name))}")
    if m.kind != FIG_10_3:
        _check_kind(config, path)
    if "h0" in (config.check.params or []) and m.h0 is not H0Mode.LEARNED:
        raise ConfigError(path, "check.params", 'h0 can be checked only when model.h0 = "learned"')
    if config.check.directions is not None and config.check.sample != "all":
        raise ConfigError(path, "check.sample", "cannot be combined with check.directions")
    _check_user(config, path)


def _check_kind(config: Config, path: Path | str | None) -> None:
    """What the other networks of chapter 10 take: no learned or random h(0) (their initial states are zeros), one
    target for fig-10.5, the variant only for lstm and gru, the user's code in the book layout only."""
    m = config.model
    if m.h0 is not H0Mode.ZEROS:
        raise ConfigError(path, "model.h0", f'model.kind = "{m.kind}" starts from zero states: h0 must be "zeros"')
    if m.variant != "book" and m.kind not in ("lstm", "gru"):
        raise ConfigError(path, "model.variant", f'"{m.variant}" is for lstm and gru; {m.kind} has one form')
    if config.user.backward is not None and config.user.layout != "book":
        reason = f'"{config.user.layout}" is a layout of Fig. 10.3\'s RNN; code for {m.kind} is called in the "book" layout'
        raise ConfigError(path, "user.layout", reason)


def split_spec(spec: str) -> tuple[str, str | None]:
    """ "my_rnn.py:backward" → ("my_rnn.py", "backward"); "my_rnn.py" → ("my_rnn.py", None)."""
    file, colon, function = spec.rpartition(":")
    return (file, function) if colon and function.isidentifier() else (spec, None)


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
    if user.layout == "min-char-rnn" and user.backward is not None:
        if config.data.inputs is Inputs.GAUSSIAN:
            raise ConfigError(path, "user.layout", 'min-char-rnn reads token ids: use data.inputs = "one-hot"')
        if config.model.h0 is H0Mode.LEARNED:
            reason = 'min-char-rnn returns no gradient for hprev: model.h0 = "learned" cannot be checked'
            raise ConfigError(path, "user.layout", reason)


_RULES = {
    "greater_than_equal": "must be ≥ {ge}",
    "greater_than": "must be > {gt}",
    "int_type": "must be an integer",
    "float_type": "must be a number",
    "finite_number": "must be a finite number",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "bool_type": "must be true or false",
    "model_type": "must be a table of keys",
    "dict_type": "must be a table of keys",
    "enum": "must be one of {expected}",
    "literal_error": "must be one of {expected}",
}


def _explain(error: ValidationError) -> tuple[str, str]:
    """The first pydantic error as (dotted key, one-line reason)."""
    first = error.errors()[0]
    loc = [part for part in first["loc"] if isinstance(part, int) or not part.startswith(("literal[", "function-"))]
    key = ".".join(f"[{p}]" if isinstance(p, int) else _clip(str(p)) for p in loc).replace(".[", "[")
    more = f" (and {error.error_count() - 1} more problem{'s' * (error.error_count() > 2)})" if error.error_count() > 1 else ""
    if first["type"] == "extra_forbidden":
        return key, f"unknown key{_suggest(loc)}{more}"
    if first["type"] == "either":
        return key, f"{first['msg']}{more}"
    if first["type"] in ("too_short", "too_long"):
        return key, f"{first['msg'][0].lower()}{first['msg'][1:]}{more}"
    template = _RULES.get(first["type"])
    reason = first["msg"][0].lower() + first["msg"][1:] if template is None else template.format(**first.get("ctx", {}))
    return key, f"{reason}, got {_show(first['input'])}{more}"


def _suggest(loc: list[str | int]) -> str:
    """'; did you mean X?' for a misspelt key, from the fields of the section it is in."""
    model: type[BaseModel] = Config
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return ""
        model = annotation
    close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; valid keys: {', '.join(model.model_fields)}"


def _clip(text: str, limit: int = 40) -> str:
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


def _show(value: Any) -> str:
    """A value as the user wrote it (TOML/JSON spelling for scalars), kept short whatever its size."""
    if isinstance(value, float) and value != value:
        return "nan"
    if isinstance(value, (bool, int, float, str)) or value is None:
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = _SHORT.repr(value)  # bounded: a YAML alias bomb must not be walked to print it
    return text if len(text) <= 60 else text[:57] + "..."


def json_schema() -> dict[str, Any]:
    """The config's JSON Schema, for editor completion and validation (unknown keys are rejected)."""
    schema = Config.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gradcheck config"
    return schema
