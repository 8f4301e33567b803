"""What a check found, as data: a row per parameter and per equation, the verdict, and the bug catalogue's run."""

from __future__ import annotations

from dataclasses import dataclass

from gradcheck.book.network import Bug, Equation
from gradcheck.check.config import Config
from gradcheck.engine.compare import ParamResult, Verdict
from gradcheck.engine.methods import Method


@dataclass(frozen=True)
class EquationResult:
    """An equation and how its gradient compares with finite differences of L w.r.t. that node.

    For the nodes o and h, row.worst_index is (t − 1, i): time-major, as in the export.
    """

    equation: Equation
    row: ParamResult
    node: bool = False  # the equation defines an intermediate node's gradient, not a parameter's


@dataclass(frozen=True)
class ForwardResult:
    """A user's forward pass against the book's (10.8–10.14) at the checked point.

    losses_user, losses_book: L summed up to each step t = 1..τ (the user's from shorter sequences);
    first_t: the first step where they part (from 1), None when they agree to round-off; why: a named
    reason (bits, an unused parameter), if one was found.
    """

    loss_user: float
    loss_book: float
    first_t: int | None
    step_user: float  # L(first_t) from each side (0 when they agree)
    step_book: float
    why: str | None = None
    book: str = "the book's"  # what the user's loss is compared with: "the book's (10.8–10.14)", or the network's

    @property
    def agrees(self) -> bool:
        return self.first_t is None


def forward_text(forward: ForwardResult) -> str:
    """The user's forward pass against the book's, in one sentence (the table, Markdown and JUnit say the same)."""
    if forward.agrees:
        return f"your loss equals {forward.book}: L = {forward.loss_user:.12g}"
    text = (
        f"your loss is not {forward.book}: L = {forward.loss_user:.10g} against {forward.loss_book:.10g}; "
        f"they part at t = {forward.first_t}, L({forward.first_t}) = {forward.step_user:.10g} against "
        f"{forward.step_book:.10g}"
    )
    return text + (f". {forward.why[0].upper()}{forward.why[1:]}" if forward.why else "")


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: a row per parameter (and per equation), and what produced them.

    steps: (smallest, largest) finite-difference step used; elapsed: wall seconds of the check;
    bug: the injected bug the analytic side ran with, if any; nonfinite_loss: where the forward pass
    first produced NaN or inf, as (t, node), when the loss is not finite.
    """

    config: Config
    loss: float
    params: tuple[ParamResult, ...]
    equations: tuple[EquationResult, ...]
    steps: tuple[float, float]
    elapsed: float
    bug: Bug | None = None
    nonfinite_loss: tuple[int, str] | None = None
    code: str | None = None  # the user's code checked instead of the book's backward: "my_rnn.py:backward (book)"
    notes: tuple[tuple[str, str], ...] = ()  # header lines about the user's file: translated, not run, its sizes
    forward: ForwardResult | None = None  # the user's forward pass against the book's, when it was given
    diagnosis: str | None = None  # for a failing user's code: the named mistake, or where it first goes wrong
    mistake: str | None = None  # the id of the known mistake the diagnosis matched ("untransposed-W", "bits-vs-nats")
    differs: frozenset[str] = frozenset()  # with a bug: the rows where its gradient is not the right one

    @property
    def verdict(self) -> Verdict:
        """FAIL if a row failed (confirmed), the loss is not finite or the user's forward pass is not the book's;
        UNDECIDED if a row could not be decided."""
        if self.nonfinite_loss is not None or (self.forward is not None and not self.forward.agrees):
            return Verdict.FAIL
        return Verdict.of(row.verdict for row in self.rows.values())

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    @property
    def method(self) -> Method:
        return self.config.check.method

    @property
    def rows(self) -> dict[str, ParamResult]:
        """Every row by key: parameter names, then the node equations 10.18, 10.19, 10.21."""
        nodes = {e.equation.number: e.row for e in self.equations if e.node}
        return {row.name: row for row in self.params} | nodes

    @property
    def failing(self) -> frozenset[str]:
        """The rows confirmed wrong."""
        return frozenset(key for key, row in self.rows.items() if row.verdict is Verdict.FAIL)

    @property
    def undecided(self) -> frozenset[str]:
        return frozenset(key for key, row in self.rows.items() if row.verdict is Verdict.UNDECIDED)

    @property
    def expected(self) -> frozenset[str]:
        """The rows the injected bug should fail (none without a bug)."""
        return frozenset(self.rows) & self.differs

    @property
    def as_predicted(self) -> bool:
        """Whether exactly the rows the bug predicts fail (with no bug: none)."""
        return self.failing == self.expected


@dataclass(frozen=True)
class BugsResult:
    """`gradcheck bugs`: the clean check and one per bug, against the same estimates.

    The verdict: PASS when the clean gradients pass and every bug is caught; UNDECIDED when nothing went
    wrong but the clean check or a bug could not be decided; FAIL otherwise.
    """

    clean: CheckResult
    bugs: tuple[CheckResult, ...]

    @property
    def missed(self) -> tuple[str, ...]:
        """Bugs that failed no row and left none undecided: the check would have let them through."""
        return tuple(r.bug.name for r in self.bugs if r.bug and r.verdict is Verdict.PASS)

    @property
    def verdict(self) -> Verdict:
        if self.clean.verdict is Verdict.FAIL or self.missed:
            return Verdict.FAIL
        undecided = self.clean.verdict is Verdict.UNDECIDED or any(r.verdict is Verdict.UNDECIDED for r in self.bugs)
        return Verdict.UNDECIDED if undecided else Verdict.PASS

    @property
    def passed(self) -> bool:
        return self.verdict is Verdict.PASS

    @property
    def smallest_failing(self) -> float | None:
        """The smallest max rel err of a failing row of any bug."""
        return self.smallest_failing_by("max_rel_err")

    @property
    def largest_clean(self) -> float:
        """The largest max rel err of a clean row."""
        return self.largest_clean_by("max_rel_err")

    def smallest_failing_by(self, error: str) -> float | None:
        """The smallest `error` (a ParamResult field: max_rel_err, norm_rel_err) of a failing row of any bug."""
        failing = [getattr(row, error) for r in self.bugs for row in r.rows.values() if row.verdict is Verdict.FAIL]
        return float(min(failing)) if failing else None

    def largest_clean_by(self, error: str) -> float:
        """The largest `error` of a clean row."""
        return float(max((getattr(row, error) for row in self.clean.rows.values()), default=0.0))
