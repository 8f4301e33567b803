"""Config loading: TOML and YAML with the same keys, defaults, derived sizes and overrides."""

from __future__ import annotations

import pytest
from conftest import ROOT

from gradcheck.check import config, loading
from gradcheck.errors import ConfigError


def test_default_toml_is_the_built_in_default():
    assert loading.load(ROOT / "configs" / "default.toml") == config.Config()


def test_yaml_and_toml_with_the_same_keys_are_the_same_config():
    assert loading.load(ROOT / "configs" / "default.yaml") == loading.load(ROOT / "configs" / "default.toml")


def test_text_derives_sizes_and_length():
    cfg = loading.load(ROOT / "configs" / "hello.toml")
    text = "hello world, hello gradients"
    assert cfg.sizes == (len(set(text)), 16, len(set(text)), len(text) - 1)
    assert cfg.checked_params == ("U", "W", "V", "b", "c", "h0")


def test_targets_alone_set_the_length_of_gaussian_inputs():
    cfg = config.validate({"data": {"inputs": "gaussian", "targets": [0, 1, 2]}})
    assert cfg.sizes == (8, 16, 8, 3)


def test_overrides_are_validated_like_config_keys():
    cfg = config.with_overrides(config.Config(), {"check.method": "forward", "data.seed": 4}, {})
    assert cfg.check.method.value == "forward" and cfg.data.seed == 4
    with pytest.raises(ConfigError) as error:
        config.with_overrides(config.Config(), {"check.eps": -1.0}, {"check.eps": "--eps"})
    assert str(error.value) == '--eps (check.eps): must be "auto" or a number > 0, got -1.0'


def test_overrides_keep_derived_sizes_consistent():
    cfg = loading.load(ROOT / "configs" / "hello.toml")
    assert config.with_overrides(cfg, {"data.seed": 9}, {}).sizes == cfg.sizes


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"model": {"hiden_size": 3}}, "model.hiden_size: unknown key; did you mean 'hidden_size'?"),
        ({"chek": {}}, "chek: unknown key; did you mean 'check'?"),
        (
            {"model": {"zzz": 3}},
            "model.zzz: unknown key; valid keys: input_size, hidden_size, output_size, init_std, h0, kind, variant, layers",
        ),
        ({"model": {"hidden_size": 0}}, "model.hidden_size: must be ≥ 1, got 0"),
        ({"model": {"init_std": -0.5}}, 'model.init_std: must be "auto" or a number > 0, got -0.5'),
        ({"model": {"hidden_size": 2.5}}, "model.hidden_size: must be an integer, got 2.5"),
        ({"model": {"init_std": True}}, 'model.init_std: must be "auto" or a number > 0, got true'),
        ({"model": {"h0": "learnt"}}, "model.h0: must be one of 'zeros', 'random' or 'learned', got \"learnt\""),
        ({"check": {"eps": 0}}, 'check.eps: must be "auto" or a number > 0, got 0'),
        ({"check": {"sample": "some"}}, 'check.sample: must be "all" or an integer ≥ 1, got "some"'),
        ({"check": {"rtol": float("inf")}}, "check.rtol: must be a finite number, got Infinity"),
        ({"check": {"params": []}}, "check.params: list should have at least 1 item after validation, not 0"),
        ({"data": {"tokens": [0, 8]}}, "data.tokens: 8 is out of range: must be < model.input_size = 8"),
        ({"data": {"tokens": [0, -1]}}, "data.tokens[1]: must be ≥ 0, got -1"),
        ({"data": {"targets": [9]}}, "data.targets: 9 is out of range: must be < model.output_size = 8"),
        ({"data": {"tokens": [0], "targets": [0, 1]}}, "data.targets: has 2 entries but data.tokens has 1"),
        ({"data": {"text": "ab", "tokens": [0]}}, "data.tokens: cannot be combined with data.text"),
        ({"data": {"text": "ab"}, "model": {"input_size": 5}}, "model.input_size: is 5 but data.text has 2 distinct characters"),
        ({"data": {"text": "x"}}, 'data.text: string should have at least 2 characters, got "x"'),
        ({"data": {"length": 3, "tokens": [1, 2]}}, "data.length: is 3 but the given sequence has length 2"),
        ({"check": {"params": ["h0"]}}, 'check.params: h0 can be checked only when model.h0 = "learned"'),
        ({"model": 3}, "model: must be a table of keys, got 3"),
        ([1, 2], "must be a mapping with sections model, data, check, user"),
    ],
)
def test_invalid_values_name_key_and_reason(raw, message):
    with pytest.raises(ConfigError) as error:
        config.validate(raw, "c.toml")
    assert str(error.value) == f"c.toml: {message}"
