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

from gradcheck.book.network import Equation
from gradcheck.check.config import Config
from gradcheck.check.problem import Problem, build
from gradcheck.check.results import CheckResult, ForwardResult
from gradcheck.check.run import Numerical, Progress, evaluate, numerical
from gradcheck.check.sections import split_spec
from gradcheck.engine.directions import Directions
from gradcheck.engine.model import Array, Index, Model
from gradcheck.errors import UserCodeError
from gradcheck.user.diagnosis import Diagnosis, diagnose, diagnose_forward, scaled_loss
from gradcheck.user.layouts import DEFAULT_FUNCTIONS
from gradcheck.user.sandbox import Limits, Sandbox

ADAPTER = "gradcheck.user.layouts:Session"
LARGE_FILE_ENTRIES = 200_000  # a file's own model larger than this is sampled (the gist's H = 100, I = 65: 23,265)
FILE_SAMPLE = 1000
Guard = Callable[[Config, str], object]  # refuses (raises) a config whose check will not fit in memory
USER_ROW_BYTES = 2**18  # a user's forward runs one copy at a time: this only sizes the chunks (progress, timeouts)
FORWARD_RTOL = 1e-9  # the user's L against the book's: equal to round-off, with room for another order of sums
Watch = Callable[[Sandbox], AbstractContextManager[object]]


@dataclass(frozen=True)
class UserCode:
    """Which of the user's functions to run, how they are called, and their limits (None: found from the file)."""

    file: Path
    backward: str | None
    forward: str | None
    layout: str | None
    limits: Limits
    notes: tuple[tuple[str, str], ...] = ()  # header lines: what was translated, not run, whose sizes
    arrays: tuple[str, ...] = ()  # the module-level arrays the function reads (found in the file)
    absent: tuple[str, ...] = ()  # the book's parameters a user's class does not hold: zero at the point
    python: str | None = None  # the user's own interpreter for the child (--python)

    @classmethod
    def from_config(cls, config: Config) -> UserCode | None:
        user = config.user
        if user.backward is None:
            return None
        file, backward = split_spec(user.backward)
        forward = (split_spec(user.forward)[1] or "") if user.forward is not None else None
        layout = user.layout if user.layout is not None or config.network.own_layouts else "book"
        limits = Limits(user.timeout, user.memory_bytes, user.import_timeout)
        return cls(Path(file), backward, forward, layout, limits, python=user.python)

    @property
    def label(self) -> str:
        checked = f"{self.backward}" + (f" and {self.forward}" if self.forward and self.forward != self.backward else "")
        return f"{self.file.name}: {checked} ({self.layout} layout)"

    def sandbox(self) -> Sandbox:
        if self.python is not None:
            from gradcheck.user.bundle import check_interpreter

            check_interpreter(self.python)
        options: dict[str, Any] = {"function": self.backward, "forward": self.forward or None}
        return Sandbox(self.file, ADAPTER, self.limits, options=options, python=self.python)


def _no_function(code: UserCode, survey: dict[str, Any]) -> UserCodeError:
    """The one line for a file that defines none of what the layouts call."""
    defined = ", ".join(survey["functions"][:8]) or "no functions"
    wanted = (
        f"{DEFAULT_FUNCTIONS.get(code.layout, ('Class.bptt',))[0]} (the {code.layout} layout)"
        if code.layout
        else "lossFun(inputs, targets, hprev) (min-char-rnn), rnn_forward and rnn_backward (cs231n), "
        "backward(U, W, V, b, c, h0, x, y) (book)"
    )
    name = code.backward or "NAME"
    return UserCodeError(
        f"{code.file.name}: has no function {code.backward} (it defines {defined})"
        if code.backward
        else f"{code.file.name}: defines none of {wanted}; it defines {defined}: name one as {code.file.name}:{name}"
    )


def _sizes_given(config: Config) -> bool:
    keys = ("model.input_size", "model.hidden_size", "model.output_size", "data.length", "data.text", "data.tokens")
    return any(key in config.given for key in keys)


def open_code(
    sandbox: Sandbox, code: UserCode, config: Config, sizes_from_file: bool = True, guard: Guard | None = None
) -> tuple[UserCode, Config]:
    """Survey the loaded file, find its layout and function, take its own sizes when the config gives none (refused
    by `guard` when they will not fit; a large model sampled), and bind the child to the problem. Returns the code
    with everything found, and the config to check it at."""
    survey: Any = sandbox.request("survey", label="reading the file", layout=code.layout, function=code.backward)
    function = survey["function"]
    if function is None or function.split(".")[0] not in {f.split("(")[0].split(".")[0] for f in survey["functions"]}:
        raise _no_function(replace(code, layout=survey["layout"] or code.layout), survey)
    layout = survey["layout"]
    if code.layout is None and layout != "book":
        from gradcheck.check.config import with_overrides

        config = with_overrides(config, {"user.layout": layout}, {"user.layout": f"{code.file.name} (the {layout} layout)"})
    forward = code.forward
    if forward == "":  # --forward FILE.py: the layout's own forward function
        forward = function if layout in ("min-char-rnn", "class") else DEFAULT_FUNCTIONS[layout][1]
    notes: list[tuple[str, str]] = []
    if code.python is not None:
        notes.append(("interpreter", code.python))
    if survey["translated"]:
        notes.append(("python 2", f"translated to Python 3 with fissix ({', '.join(survey['translated'])})"))
    if survey["not_run"]:
        notes.append(("not run", survey["not_run"]))
    if survey.get("weights"):
        theirs = ", ".join(survey["weights"][name] for name in ("Wxh", "Whh", "Why", "bh", "by"))
        notes.append(("weights", f"your {theirs} as Wxh, Whh, Why, bh, by (told by their shapes)"))
    own = survey["sizes"]
    if own:
        wording = ", ".join(f"{'τ' if key == 'tau' else key} = {own[key]}" for key in ("I", "H", "O", "tau") if key in own)
        if _sizes_given(config) or not sizes_from_file:
            notes.append(("sizes", f"from the config; your file's own: {wording}"))
        else:
            from gradcheck.check.config import with_overrides

            keys = {"I": "model.input_size", "H": "model.hidden_size", "O": "model.output_size", "tau": "data.length"}
            values: dict[str, Any] = {keys[key]: value for key, value in own.items()}
            scale = survey["scale"] if "model.init_std" not in config.given else None
            if scale is not None:  # near the file's own point: a clip inside lossFun (as the gist's) stays idle
                values["model.init_std"] = scale
            config = with_overrides(config, values, {})
            sampled = ""
            I, H, O, _ = config.sizes
            entries = H * I + H * H + O * H + H + O  # U, W, V, b, c of Fig. 10.3, the network a user's file is checked as
            if entries > LARGE_FILE_ENTRIES and "check.sample" not in config.given and "check.directions" not in config.given:
                config = with_overrides(config, {"check.sample": FILE_SAMPLE}, {})
                sampled = f"; {entries:,} entries: {FILE_SAMPLE:,} random ones per parameter checked (--sample all: every one)"
            others = [("τ" if key == "tau" else key) for key in ("I", "H", "O", "tau") if key not in own]
            whose = "your file's own" + (f" but {', '.join(others)}, which it does not fix" if others else "")
            note = whose + (f", weights ~ N(0, {scale:g}²) as its own" if scale else "") + sampled
            notes.append(("sizes", note))
            if guard is not None:
                guard(config, f"{code.file.name} (its own sizes)")
    I, H, O, tau = config.sizes
    arrays = tuple(survey["arrays"])
    found = replace(code, backward=function, forward=forward, layout=layout, notes=tuple(notes), arrays=arrays)
    nodes = None
    if layout == "book":
        from gradcheck.check.problem import build as build_problem

        nodes = {name: list(value.shape) for name, value in build_problem(config).model().nodes.items()}
    bound: Any = sandbox.request(
        "bind",
        label=function,
        layout=layout,
        backward=function,
        forward=forward,
        sizes={"I": I, "H": H, "O": O, "tau": tau},
        nodes=nodes,  # type: ignore[arg-type]
    )
    absent = tuple(bound["absent"]) if bound else ()
    if absent:
        if "check.params" not in config.given:
            from gradcheck.check.config import with_overrides

            present = [name for name in ("U", "W", "V", "b", "c") if name not in absent]
            config = with_overrides(config, {"check.params": present}, {})
        notes.append(("absent", f"{', '.join(absent)}: your class has none; held at zero, not checked"))
        found = replace(found, notes=tuple(notes), absent=absent)
    return found, config


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
        got = dict(self._ask("gradients", self.code.backward or ""))
        self.returned_loss = float(got.pop("loss")) if "loss" in got else None  # the loss returned beside them
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

    @property
    def values(self) -> dict[str, Array]:
        return self.book.values

    @property
    def step_losses(self) -> Array:
        """The user's L as one term (their forward pass returns the sum only)."""
        return np.array([self._loss])

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


def compare_forward(user: UserSide, problem: Problem) -> ForwardResult:
    """The user's L against the book's at the point, and if they differ, the first step t where they part
    (the user's loss over the first t steps against the book's Σ_{s ≤ t} L(s)); a network with one loss term
    (a single output) has only t = τ to compare."""
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
    forward = replace(compare_forward(user, problem), book=_book(problem))
    if forward.agrees:
        return forward, None
    why = diagnose_forward(user.loss, problem)
    return replace(forward, why=why.text if why else None), why


def _book(problem: Problem) -> str:
    """What the user's loss is compared with: the book's forward pass by its equations, or the network by name."""
    m, cited = problem.config.model, problem.config.network.forward_equations
    return f"the book's ({cited})" if cited else f"the book's {m.kind} network ({m.variant} form)"


def _conclude(
    num: Numerical, code: UserCode, gradients: dict[str, Array], forward: tuple[ForwardResult, Diagnosis | None] | None
) -> CheckResult:
    """The user's gradients judged against the estimates, and a diagnosis when they (or the forward pass) fail."""
    result = replace(
        evaluate(num, gradients=gradients), code=code.label, notes=code.notes, forward=forward[0] if forward else None
    )
    if result.failing:
        found = diagnose(num.problem, gradients, result)
        return replace(result, diagnosis=found.text, mistake=found.mistake)
    why = forward[1] if forward else None
    return replace(result, mistake=why.mistake if why else None)


def _returned_loss(user: UserSide, problem: Problem) -> tuple[ForwardResult, Diagnosis | None] | None:
    """The loss the user's function returned with its gradients against the book's L at the same point: None when they
    agree (or nothing was returned); a forward result when a known reason (bits, a mean over t) fits; else the one
    line of a function that does not compute the book's loss at the weights gradcheck set (exit 2)."""
    returned = user.returned_loss
    if returned is None:
        return None
    steps = problem.step_losses()
    expected = float(steps.sum())
    if abs(returned - expected) <= FORWARD_RTOL * max(1.0, float(np.abs(steps).sum())):
        return None
    code = user.code
    if code.forward is not None:
        return None  # --forward compares the loss step by step itself
    why = scaled_loss(returned / expected if expected else np.nan, len(steps))
    if why is not None:
        return ForwardResult(returned, expected, len(problem.x), returned, expected, why.text, _book(problem)), why
    layout_names = {"min-char-rnn": ("Wxh", "Whh", "Why", "bh", "by")}.get(code.layout or "", ())
    others = [name for name in code.arrays if name not in layout_names]
    reads = f": it does not read {', '.join(layout_names)} (it reads {', '.join(others)})" if others else ""
    raise UserCodeError(
        f"{code.file.name}: your {code.backward} returns the loss {returned:.6g} where the book's L is {expected:.6g} at the "
        f"weights gradcheck set{reads or ': its loss is not the book’s −Σ_t log ŷ(t)_y(t)'}; its gradients cannot be judged"
    )


Estimates = Callable[[Config, tuple[str, ...]], Numerical]  # the shared estimates at a config, some parameters at 0


def without(problem: Problem, absent: tuple[str, ...]) -> Problem:
    """The problem with the parameters a user's class lacks (its biases) held at zero: the book's network without them."""
    return problem.at({name: value * 0 if name in absent else value for name, value in problem.point.items()})


def check_code(estimates: Estimates, code: UserCode, config: Config, watch: Watch = nullcontext) -> CheckResult:
    """The user's gradients against finite differences already made of the book's forward pass (estimates(config, ())),
    so that many users' files are judged against one set of estimates (a class without biases: against the set with
    them at zero); the user's forward pass, if given, is compared with the book's but never differenced.
    watch(sandbox) is entered while the child runs (to stop it from outside)."""
    sandbox = code.sandbox()
    with watch(sandbox), sandbox, np.errstate(all="ignore"):  # watched from before the child starts: the import too
        code, config = open_code(sandbox, code, config, sizes_from_file=False)
        num = estimates(config, code.absent)
        problem = num.problem
        user = UserSide(sandbox, problem, code)
        gradients = user.gradients()
        forward = _forward(user, problem) if code.forward is not None else _returned_loss(user, problem)
    with np.errstate(all="ignore"):
        return _conclude(num, code, gradients, forward)


def run_user(config: Config, code: UserCode, progress: Progress | None = None, guard: Guard | None = None) -> CheckResult:
    """The check of the user's gradients (and forward pass, if given) at the config's point, with a diagnosis when
    they fail. A forward pass equal to the book's is the one differenced. guard(config, source) refuses a check that
    will not fit in memory, at the file's own sizes."""
    with code.sandbox() as sandbox, np.errstate(all="ignore"):
        code, config = open_code(sandbox, code, config, guard=guard)
        problem = build(config)
        if code.absent:  # a class without biases: the book's network with them at zero
            problem = without(problem, code.absent)
        book = problem.model()
        user = UserSide(sandbox, problem, code)
        gradients = user.gradients()
        forward = _forward(user, problem) if code.forward is not None else _returned_loss(user, problem)
        differenced = UserForward(book, user, forward[0].loss_user) if forward and forward[0].agrees else None
        num = numerical(config, progress, differenced, problem)
        return _conclude(num, code, gradients, forward)
