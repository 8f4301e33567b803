"""Name the mistake: a failing user's gradient against every catalogued bug and every known mistake, at the same point.

A match to round-off is said in plain words with the equation it breaks. Without one, the diagnosis points at the
earliest equation that fails in the order BPTT computes them, and (when the user's code returns its ∇h(t)L rows)
the step t where they first depart from the book's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from gradcheck.book import mistakes
from gradcheck.book.rnn import Array
from gradcheck.check.problem import Problem
from gradcheck.check.results import CheckResult

MATCH = 1e-7  # norm-wise relative difference below which two gradients are the same (round-off of a τ-step sum)


@dataclass(frozen=True)
class Diagnosis:
    """What a user's failing code gets wrong, in words, and the id of the known mistake it matched, if any: a
    catalogued bug's name or a mistake of gradcheck.book.mistakes ("untransposed-W", "truncated-k", "bits-vs-nats")."""

    text: str
    mistake: str | None = None


def _same(a: Array, b: Array) -> bool:
    scale = max(float(np.linalg.norm(b)), 1e-300)
    return bool(np.all(np.isfinite(a))) and float(np.linalg.norm(a - b)) <= MATCH * max(scale, 1e-12)


def _names(names: list[str]) -> str:
    shown = [f"d{name}" for name in names]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _wrong_names(candidate: Mapping[str, Array], clean: Mapping[str, Array], names: tuple[str, ...]) -> list[str]:
    return [name for name in names if not _same(candidate[name], clean[name])]


def _candidates(
    problem: Problem, clean: dict[str, Array], gradients: dict[str, Array], names: tuple[str, ...]
) -> Iterator[mistakes.Mistake]:
    """Every catalogued bug of the network and every known mistake at the point (name, summary, explanation,
    gradients), and the network's own BPTT loops written wrong (Fig. 10.3's)."""
    network = problem.config.network
    for bug in network.bugs.values():
        yield mistakes.Mistake(bug.name, bug.summary, bug.explanation, problem.model(bug).gradients())
    if network.mistakes is not None:
        yield from network.mistakes(problem.point, problem.x, problem.y)
    clip = max((float(np.abs(gradients[name]).max(initial=0.0)) for name in names), default=0.0)
    terms = len(problem.step_losses())
    yield from mistakes.scale_mistakes({name: value for name, value in clean.items() if name in problem.point}, terms, clip)


def diagnose(problem: Problem, gradients: dict[str, Array], result: CheckResult) -> Diagnosis:
    """One or two sentences on what the user's failing gradients are, with the matching mistake's id."""
    names = tuple(row.name for row in result.params)
    clean = problem.model().gradients()
    for mistake in _candidates(problem, clean, gradients, names):
        wrong = _wrong_names(mistake.params, clean, names)
        if wrong and all(_same(gradients[n], mistake.params[n]) for n in names):
            verb = "is" if len(wrong) == 1 else "are"
            what = f"{mistake.summary} ({mistake.name})"
            text = f"your {_names(wrong)} {verb} exactly what you get with {what}: {mistake.explanation}"
            return Diagnosis(text, mistake.name)
    return Diagnosis(_where(problem, clean, gradients, result))


def _order(problem: Problem) -> tuple[str, ...]:
    """The rows in the order BPTT computes them: the node rows as the equation table lists them (output first), then
    the parameters the table lists, in its order, then any other from the output layer back."""
    equations, params = problem.config.network.equations, tuple(problem.model().params)
    listed = tuple(e.target for e in equations if e.target in params)
    return (*(e.number for e in equations if e.target not in params), *listed, *reversed(params))


def _cited(problem: Problem, name: str) -> str:
    """A parameter's row as a diagnosis names it: with its equation's number, if the table has one (10.26 (dW))."""
    number = next((e.number for e in problem.config.network.equations if e.target == name), None)
    return f"{number} (d{name})" if number is not None else f"d{name}"


def _where(problem: Problem, clean: dict[str, Array], gradients: dict[str, Array], result: CheckResult) -> str:
    """No known mistake matches: the first failing row in BPTT order, and where the hidden state's gradient departs
    from the book's if the user's code returns its rows (h)."""
    failing = result.failing
    first = next((key for key in _order(problem) if key in failing), None)
    words = "no known mistake matches"
    if first is not None:
        label = _cited(problem, first) if first in problem.point else first
        words += f"; the first equation that fails, in the order BPTT computes them, is {label}"
    if "h" in gradients and "h" in clean:
        book_h = clean["h"]
        tau = len(book_h)
        departs = [t for t in range(tau, 0, -1) if not _same(gradients["h"][t - 1], book_h[t - 1])]
        if departs:
            words += f"; your ∇h(t)L first departs from the book's at t = {departs[0]} (BPTT runs from t = τ = {tau} down)"
    return words


def scaled_loss(ratio: float, terms: int) -> Diagnosis | None:
    """The user's loss over the book's, when it is a known scaling: in bits, or the mean over the τ terms."""
    for factor, mistake, words in (
        (
            1 / np.log(2),
            "bits-vs-nats",
            "your loss is the book's divided by ln 2: it is in bits (log₂), while 10.12–10.14 use the natural log",
        ),
        (1 / terms, "mean-over-t", "your loss is the book's divided by τ: the mean over t, while 10.13 sums L = Σ_t L(t)"),
    ):
        if factor != 1 and abs(ratio - factor) <= MATCH * factor:
            return Diagnosis(words, mistake)
    return None


def diagnose_forward(loss: Callable[..., float], problem: Problem) -> Diagnosis | None:
    """Why the user's forward pass is not the book's, when a known reason fits: a loss in bits or averaged over t, or
    a parameter it never reads."""
    expected = float(problem.step_losses().sum())
    scaled = scaled_loss(loss() / expected if expected else np.nan, len(problem.step_losses()))
    if scaled is not None:
        return scaled
    rng = np.random.default_rng(0)
    params = problem.point
    cited = problem.config.network.forward_equations
    uses = f"{cited} do" if cited else "the network's forward pass does"
    for name, value in params.items():
        if name == "h0" or not value.size:
            continue
        moved = params | {name: value + 0.1 * rng.standard_normal(value.shape)}
        book_moved = float(problem.at(moved).step_losses().sum())
        if abs(book_moved - expected) > 1e-6 * max(1.0, abs(expected)) and loss(moved) == loss():
            words = f"your forward pass never uses {name} (its loss does not change when {name} does), though {uses}"
            return Diagnosis(words, "unused-parameter")
    return None
