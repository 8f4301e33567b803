"""A whole config (DESIGN.md §3): its sections together and what they derive, validated from raw data or from
command-line overrides, dumped, described, and its JSON Schema.

Pydantic validates a config file and writes the JSON Schema; it is imported only then. The built-in default and
command-line values that are plainly valid (an integer within its bounds, a known word) are taken without it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from enum import Enum
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gradcheck.book import kinds
from gradcheck.book.network import Network
from gradcheck.check.consistency import check_keys, derived_sizes, implied_tolerance
from gradcheck.check.constraints import plainly
from gradcheck.check.sections import CheckConfig, DataConfig, H0Mode, ModelConfig, Section, UserConfig
from gradcheck.check.sections import Layout as Layout  # cli.py reads config.Layout and config.split_spec
from gradcheck.check.sections import split_spec as split_spec
from gradcheck.check.wording import explain, naming_options
from gradcheck.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import TypeAdapter


@dataclass(frozen=True)
class Config(Section):
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
    raw = implied_tolerance(derived_sizes(raw))
    config = plainly(raw, Config) if plain else None
    if config is None:
        from pydantic import ValidationError

        try:
            config = _adapter().validate_python(raw)
        except ValidationError as error:
            key, reason = explain(error, Config())
            raise ConfigError(path, key, reason) from None
    check_keys(config, path)
    return _remember(config, frozenset(f"{name}.{key}" for name, keys in raw.items() for key in keys))


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


def json_schema() -> dict[str, Any]:
    """The config's JSON Schema, for editor completion and validation (unknown keys are rejected)."""
    schema = _adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "gradcheck config"
    return schema
