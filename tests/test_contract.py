"""The network contract (book/network.py), held over every registered network and a network of one's own
(tests/networks/relu_rnn.py): batched copies equal separate forward passes, the complex step equals the backward
pass for every parameter and node, every bug breaks exactly the rows it declares, and the export round-trips. The
per-network files keep only their independent oracles (autograd, torch, hand-derived small cases)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from networks import relu_rnn

from gradcheck.book.kinds import NETWORKS
from gradcheck.book.network import Network, draw
from gradcheck.check import config
from gradcheck.check.problem import build
from gradcheck.engine.model import Model
from gradcheck.engine.models import model_of
from gradcheck.engine.network import NetworkModel

DEPTHS = (1, 2, 3)  # a network with a depth, at each of these
NETS = [
    network.at(depth) if network.layers is not None else network
    for network in (*NETWORKS.values(), relu_rnn.NETWORK)
    for depth in (DEPTHS if network.layers is not None else DEPTHS[:1])
]
CASES = [(network, variant) for network in NETS for variant in network.variants]
IDS = [f"{network.kind}{network.layers or ''}-{variant}" for network, variant in CASES]
I, H, O, TAU = 3, 4, 3, 5


def _data(network: Network, seed: int, inputs: str = "dense") -> tuple[dict[str, Any], Any, Any]:
    """A generic point (h(0) too, where the network has one) and data: dense, where no entry is idle and no gate is
    flat, or one-hot tokens that never use token 2, so that U's column 2 reaches nothing."""
    rng = np.random.default_rng(seed)
    point = draw(network.shapes(I, H, O), 0.7, rng)
    x = rng.standard_normal((TAU, I)) if inputs == "dense" else np.eye(I)[[0, 1, 1, 0, 1]]
    return point, x, rng.integers(0, O, 1 if network.single_target else TAU)


def _model(network: Network, variant: str, seed: int = 0, backward: Any = None) -> Model:
    return model_of(network, *_data(network, seed), variant, backward, learned_h0=network.h0)


@pytest.mark.parametrize(("network", "variant"), CASES, ids=IDS)
@pytest.mark.parametrize("step", [1e-3, 1e-30j], ids=["real", "complex"])
@pytest.mark.parametrize("inputs", ["dense", "one-hot"])
def test_batched_copies_equal_one_forward_pass_each(network: Network, variant: str, step: complex, inputs: str) -> None:
    """Every entry of every parameter moved in one batch (the engine's shared products and rank-one corrections, a
    recurrence run once where copies differ only in the output layer, entries that reach nothing not run at all, or
    Fig. 10.3's step-by-step engine) against the network run on its own at each moved point."""
    point, x, y = _data(network, 0, inputs)
    model = model_of(network, point, x, y, variant, learned_h0=network.h0)
    if isinstance(model, NetworkModel):  # the entries that reach nothing are found, and only with one-hot data
        assert any(mask.any() for mask in model.idle.values()) == (inputs == "one-hot")
    for name, value in model.params.items():
        index = np.arange(value.size)
        shift = step * (1.0 + index % 3) * (-1.0) ** index
        batched = model.perturbed_losses(name, index, shift)
        for k, s in zip(index, shift, strict=True):
            moved = {n: v.astype(np.result_type(v, s)) for n, v in model.params.items()}
            moved[name].reshape(-1)[k] += s
            alone = model_of(network, moved, x, y, variant, learned_h0=network.h0).step_losses
            np.testing.assert_allclose(batched[k], alone, rtol=1e-12, atol=1e-14, err_msg=f"{name}[{k}]")


@pytest.mark.parametrize("network", NETS, ids=[f"{network.kind}{network.layers or ''}" for network in NETS])
def test_every_parameter_and_node_has_its_rows(network: Network) -> None:
    """The equation table covers every parameter and node, under numbers of its own, parameters in table order."""
    params, numbers = tuple(network.shapes(I, H, O)), [e.number for e in network.equations]
    assert {e.target for e in network.equations} == set(params) | set(network.nodes)
    assert len(set(numbers)) == len(numbers)
    assert all(e.times == "all" for e in network.equations if e.target in params)


@pytest.mark.parametrize(("network", "variant"), CASES, ids=IDS)
def test_the_complex_step_equals_the_backward_pass_for_every_parameter_and_node(network: Network, variant: str) -> None:
    model = _model(network, variant, seed=1)
    grads = model.gradients()
    for name, value in (model.params | model.nodes).items():
        index = np.arange(value.size)
        numeric = model.perturbed_losses(name, index, np.full(value.size, 1e-30j)).sum(axis=1).imag / 1e-30
        np.testing.assert_allclose(grads[name].reshape(-1), numeric, rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(("network", "variant"), CASES, ids=IDS)
def test_every_bug_breaks_exactly_the_rows_it_declares(network: Network, variant: str) -> None:
    """A parameter or node is broken when its gradient moves by more than 1e-6 (relative), kept when it moves by
    under 1e-12; a bug declares nodes by name or by the number of an equation row of that node."""
    clean = _model(network, variant, seed=2)
    right = clean.gradients()
    for bug in network.bugs.values():
        wrong = _model(network, variant, seed=2, backward=bug.backward).gradients()
        for name in (*clean.params, *clean.nodes):
            relative = np.linalg.norm(wrong[name] - right[name]) / np.linalg.norm(right[name])
            numbers = {e.number for e in network.equations if e.target == name}
            if name in bug.params or name in bug.nodes or numbers & bug.nodes:
                assert relative > 1e-6, (bug.name, name, relative)
            else:
                assert relative < 1e-12, (bug.name, name, relative)


@pytest.mark.parametrize("network", [network for network in NETWORKS.values()], ids=list(NETWORKS))
def test_the_export_holds_the_problem_and_its_gradients(cli: Any, tmp_path: Path, network: Network) -> None:
    """`gradcheck export` writes the built problem's parameters, data, loss, gradients and nodes; they load back."""
    path = tmp_path / "net.toml"
    path.write_text(f'[model]\nkind = "{network.kind}"\ninput_size = {I}\nhidden_size = {H}\noutput_size = {O}\n')
    cli("export", path, "-o", tmp_path / "out.npz", code=0)
    problem = build(config.validate({"model": {"kind": network.kind, "input_size": I, "hidden_size": H, "output_size": O}}))
    model, grads = problem.model(), problem.model().gradients()
    with np.load(tmp_path / "out.npz", allow_pickle=False) as saved:
        for name, value in model.params.items():
            np.testing.assert_array_equal(saved[name], value)
            np.testing.assert_array_equal(saved[f"grad_{name}"], grads[name])
        np.testing.assert_array_equal(saved["x"], problem.x)
        np.testing.assert_array_equal(saved["y"], problem.y)
        assert float(saved["loss"]) == model.loss
        nodes = [name for name in model.nodes if f"grad_{name}" in saved.files]
        assert nodes == list(model.nodes)
        for name in nodes:
            np.testing.assert_array_equal(saved[f"grad_{name}"], grads[name])


def test_the_registry_holds_each_record_under_its_own_kind() -> None:
    assert [network.kind for network in NETWORKS.values()] == list(NETWORKS)
