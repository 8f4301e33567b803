"""Check a user's BPTT code: their gradients against finite differences of the book's forward pass (or of their own,
once it is shown to equal the book's), through the same engine, table and verdict rules as the built-in backward.

The user's module lives in a child process (sandbox.py); this side only sends the point and reads arrays back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.book.kinds import FIG_10_3
from gradcheck.check.config import Config, split_spec
from gradcheck.check.problem import Problem, build
from gradcheck.check.results import CheckResult, ForwardResult
from gradcheck.check.run import Numerical, Progress, evaluate, numerical
from gradcheck.engine.directions import Directions
from gradcheck.engine.model import Array, Equation, Index, Model
from gradcheck.errors import UserCodeError
from gradcheck.user.diagnosis import Diagnosis, diagnose, diagnose_forward
from gradcheck.user.layouts import DEFAULT_FUNCTIONS
from gradcheck.user.sandbox import Limits, Sandbox

ADAPTER = "gradcheck.user.layouts:handler"
USER_ROW_BYTES = 2**18  # a user's forward runs one copy at a time: this only sizes the chunks (progress, timeouts)
FORWARD_RTOL = 1e-9  # the user's L against the book's: equal to round-off, with room for another order of sums
Watch = Callable[[Sandbox], AbstractContextManager[object]]


@dataclass(frozen=True)
class UserCode:
    """Which of the user's functions to run, how they are called, and their limits."""

    file: Path
    backward: str
    forward: str | None
    layout: str
    limits: Limits

    @classmethod
    def from_config(cls, config: Config) -> UserCode | None:
        user = config.user
        if user.backward is None:
            return None
        file, backward = split_spec(user.backward)
        default_backward, default_forward = DEFAULT_FUNCTIONS[user.layout]
        forward = (split_spec(user.forward)[1] or default_forward) if user.forward is not None else None
        return cls(Path(file), backward or default_backward, forward, user.layout, Limits(user.timeout, user.memory_bytes))

    @property
    def label(self) -> str:
        checked = f"{self.backward}" + (f" and {self.forward}" if self.forward and self.forward != self.backward else "")
        return f"{self.file.name}: {checked} ({self.layout} layout)"

    def sandbox(self, model: Model | None = None) -> Sandbox:
        """The child for this code; in the book layout, told the model's node rows the backward may return."""
        options: dict[str, Any] = {"layout": self.layout, "backward": self.backward, "forward": self.forward}
        if model is not None and self.layout == "book":
            options["nodes"] = {name: list(value.shape) for name, value in model.nodes.items()}
        return Sandbox(self.file, ADAPTER, self.limits, options)


class UserSide:
    """The user's code at one problem: gradients, loss and perturbed losses in the network's names."""

    def __init__(self, sandbox: Sandbox, problem: Problem, code: UserCode) -> None:
        self.sandbox, self.problem, self.code = sandbox, problem, code
        self.point: dict[str, Any] = problem.point
        self.lock = threading.Lock()  # one child, one request at a time (the engine calls from two threads)

    def _ask(self, method: str, label: str, **args: Any) -> Any:
        with self.lock:
            return self.sandbox.request(method, label=label, params=dict(self.point), x=self.problem.x, y=self.problem.y, **args)

    def gradients(self) -> dict[str, Array]:
        got = self._ask("gradients", self.code.backward)
        missing = [name for name in self.problem.config.checked_params if name not in got]
        if missing:
            raise UserCodeError(f"{self.code.file.name}: {self.code.backward} returned no gradient for {', '.join(missing)}")
        return {name: np.asarray(value, dtype=np.float64) for name, value in got.items()}

    def loss(self, params: dict[str, Array] | None = None, length: int | None = None) -> float:
        """The user's L at the point (or at `params`), over the first `length` steps of the sequence."""
        tau = length or len(self.problem.x)
        assert self.code.forward is not None
        point: dict[str, Any] = dict(params or self.point)
        with self.lock:
            got: Any = self.sandbox.request(
                "loss", label=self.code.forward, params=point, x=self.problem.x[:tau], y=self.problem.y[:tau]
            )
        return float(np.real(got))

    def entry_losses(self, name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        return np.asarray(self._ask("entry_losses", self.code.forward or "", name=name, index=index, shifts=shift))

    def direction_losses(self, name: str, directions: Directions, k: Index, shift: NDArray[Any]) -> NDArray[Any]:
        used = np.unique(k)  # the user's code gets the directions it moves along as dense arrays, renumbered
        args = {"name": name, "directions": directions.array(used), "k": np.searchsorted(used, k), "shifts": shift}
        return np.asarray(self._ask("direction_losses", self.code.forward or "", **args))


class UserForward:
    """The book's model with the user's forward pass differenced for the parameters (a Model).

    Nodes (o, h, …) cannot be moved inside someone else's code: their rows are differenced through the book's forward
    pass, which the user's was first shown to equal."""

    def __init__(self, book: Model, user: UserSide, loss: float) -> None:
        self.book, self.user, self._loss = book, user, loss

    @property
    def params(self) -> dict[str, Array]:
        return self.book.params

    @property
    def nodes(self) -> dict[str, Array]:
        return self.book.nodes

    @property
    def equations(self) -> tuple[Equation, ...]:
        return self.book.equations

    @property
    def loss(self) -> float:
        return self._loss

    def gradients(self) -> dict[str, Array]:
        return self.user.gradients()

    def rounding(self) -> dict[str, Array]:
        return self.book.rounding()

    def perturbed_losses(self, name: str, index: Index, shift: NDArray[Any]) -> NDArray[Any]:
        if name in self.params:
            return self.user.entry_losses(name, index, shift)[:, np.newaxis]
        return self.book.perturbed_losses(name, index, shift)

    def directional_losses(self, name: str, directions: Directions, k: Index, shift: NDArray[Any]) -> NDArray[Any]:
        return self.user.direction_losses(name, directions, k, shift)[:, np.newaxis]

    def row_bytes(self, name: str, complex_step: bool) -> int:
        return USER_ROW_BYTES if name in self.params else self.book.row_bytes(name, complex_step)

    def first_nonfinite(self) -> tuple[int, str] | None:
        return self.book.first_nonfinite()

    def arrays(self) -> dict[str, NDArray[Any]]:
        return self.book.arrays()


def compare_forward(user: UserSide, problem: Problem) -> ForwardResult:
    """The user's L against the book's at the point, and if they differ, the first step t where they part
    (the user's loss over the first t steps against the book's Σ_{s ≤ t} L(s)); a network with one loss term
    (fig-10.5) has only t = τ to compare."""
    loss = user.loss()
    steps = problem.step_losses()
    expected = float(steps.sum())
    scale = max(1.0, float(np.abs(steps).sum()))
    if abs(loss - expected) <= FORWARD_RTOL * scale:
        return ForwardResult(loss, expected, None, 0.0, 0.0)
    if len(steps) != len(problem.x):
        return ForwardResult(loss, expected, len(problem.x), loss, expected)
    prefix_book = np.cumsum(steps)
    previous_user = previous_book = 0.0
    for t in range(1, len(prefix_book) + 1):
        user_t = loss if t == len(prefix_book) else user.loss(length=t)
        if abs(user_t - prefix_book[t - 1]) > FORWARD_RTOL * scale:
            return ForwardResult(loss, expected, t, user_t - previous_user, float(prefix_book[t - 1] - previous_book))
        previous_user, previous_book = user_t, float(prefix_book[t - 1])
    return ForwardResult(loss, expected, len(prefix_book), loss - previous_user, float(steps[-1]))


def _forward(user: UserSide, problem: Problem) -> tuple[ForwardResult, Diagnosis | None]:
    """The user's forward pass against the book's, with the named reason when they differ."""
    forward = compare_forward(user, problem)
    m = problem.config.model
    if m.kind != FIG_10_3:
        forward = replace(forward, book=f"the book's {m.kind} network ({m.variant} form)")
    if forward.agrees:
        return forward, None
    why = diagnose_forward(user.loss, problem)
    return replace(forward, why=why.text if why else None), why


def _conclude(
    num: Numerical, code: UserCode, gradients: dict[str, Array], forward: tuple[ForwardResult, Diagnosis | None] | None
) -> CheckResult:
    """The user's gradients judged against the estimates, and a diagnosis when they (or the forward pass) fail."""
    result = replace(evaluate(num, gradients=gradients), code=code.label, forward=forward[0] if forward else None)
    if result.failing:
        found = diagnose(num.problem, gradients, result)
        return replace(result, diagnosis=found.text, mistake=found.mistake)
    why = forward[1] if forward else None
    return replace(result, mistake=why.mistake if why else None)


def check_code(num: Numerical, code: UserCode, watch: Watch = nullcontext) -> CheckResult:
    """The user's gradients against finite differences already made of the book's forward pass (numerical(config)),
    so that many users' files are judged against one set of estimates; the user's forward pass, if given, is compared
    with the book's but never differenced. watch(sandbox) is entered while the child runs (to stop it from outside)."""
    problem = num.problem
    sandbox = code.sandbox(problem.model())
    with watch(sandbox), sandbox, np.errstate(all="ignore"):  # watched from before the child starts: the import too
        user = UserSide(sandbox, problem, code)
        gradients = user.gradients()
        forward = _forward(user, problem) if code.forward is not None else None
    with np.errstate(all="ignore"):
        return _conclude(num, code, gradients, forward)


def run_user(config: Config, code: UserCode, progress: Progress | None = None) -> CheckResult:
    """The check of the user's gradients (and forward pass, if given) at the config's point, with a diagnosis when
    they fail. A forward pass equal to the book's is the one differenced."""
    problem = build(config)
    book = problem.model()
    with code.sandbox(book) as sandbox, np.errstate(all="ignore"):
        user = UserSide(sandbox, problem, code)
        gradients = user.gradients()
        forward = _forward(user, problem) if code.forward is not None else None
        differenced = UserForward(book, user, forward[0].loss_user) if forward and forward[0].agrees else None
        num = numerical(config, progress, differenced)
        return _conclude(num, code, gradients, forward)
