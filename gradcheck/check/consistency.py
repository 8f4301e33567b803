"""The cross-key rules: what one key's value says of another's (sizes derived from data.text, tokens or targets; a
tolerance implied by rtol or atol), and what a whole config must obey that no single key can express.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Protocol

from gradcheck.book import kinds
from gradcheck.book.kinds import NETWORKS
from gradcheck.book.network import Network
from gradcheck.check.sections import CheckConfig, DataConfig, H0Mode, Inputs, ModelConfig, UserConfig, split_spec
from gradcheck.check.wording import clip
from gradcheck.engine.methods import Method
from gradcheck.errors import ConfigError


class Keys(Protocol):
    """What the rules read of a config: its sections and what they derive (check/config.py's Config, which is checked
    by them as it is validated, so is not imported here)."""

    @property
    def model(self) -> ModelConfig: ...

    @property
    def data(self) -> DataConfig: ...

    @property
    def check(self) -> CheckConfig: ...

    @property
    def user(self) -> UserConfig: ...

    @property
    def sizes(self) -> tuple[int, int, int, int]: ...

    @property
    def network(self) -> Network: ...

    @property
    def param_names(self) -> tuple[str, ...]: ...


def derived_sizes(raw: dict[str, Any]) -> dict[str, Any]:
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


def implied_tolerance(raw: dict[str, Any]) -> dict[str, Any]:
    """rtol or atol without a tolerance key means tolerance = "fixed": written out, so a dump of the config
    (the JSON report's `config`) says so too and reproduces the run."""
    check = raw.get("check")
    if isinstance(check, dict) and "tolerance" not in check and {"rtol", "atol"} & check.keys():
        return {**raw, "check": {**check, "tolerance": "fixed"}}
    return raw


def check_keys(config: Keys, path: Path | str | None) -> None:
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


def _check_kind(config: Keys, path: Path | str | None) -> None:
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


def _check_user(config: Keys, path: Path | str | None) -> None:
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
