"""`gradcheck explain`: the derivation of 10.18 onward as text, and the numbers of one step beside it."""

from __future__ import annotations

from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from gradcheck.book.network import Network
from gradcheck.check.steps import StepNumbers
from gradcheck.render.cells import sci, verdict_text

DERIVATION: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "1. The loss at one step (10.12–10.14)",
        (
            "L(t) = −log p_model(y(t) | x(1), …, x(t)) = −log ŷ_{y(t)}(t)",
            "The network reads x(1..t) through h(t) (10.8–10.9), scores the classes with o(t) = c + V h(t) (10.10) "
            "and turns the scores into probabilities ŷ(t) = softmax(o(t)) (10.11).",
        ),
    ),
    (
        "2. log p_model as a function of o(t)",
        (
            "ŷ_i(t) = exp o_i(t) / Σ_j exp o_j(t), so",
            "    log p_model(y(t) | x(1..t)) = log ŷ_{y(t)}(t) = o_{y(t)}(t) − log Σ_j exp o_j(t)      (log-softmax)",
            "It depends on x(1..t) only through o(t).",
        ),
    ),
    (
        "3. Differentiate with respect to o_i(t)",
        (
            "L(t) = −o_{y(t)}(t) + log Σ_j exp o_j(t)",
            "    ∂(−o_{y(t)}) / ∂o_i = −1[i = y(t)]          only the target's own score depends on o_i when i = y(t)",
            "    ∂(log Σ_j exp o_j) / ∂o_i = exp o_i / Σ_j exp o_j = ŷ_i",
            "⇒  ∂L(t)/∂o_i(t) = ŷ_i(t) − 1[i = y(t)]                                              (10.18)",
        ),
    ),
    (
        "4. What 1_{i,y(t)} means",
        (
            "1_{i,y(t)} is the indicator 1[i = y(t)]: 1 when i is the target class y(t), 0 for every other i "
            "(a Kronecker delta δ_{i,y(t)}). As a vector it is e_{y(t)}, the one-hot code of the target:",
            "    ∇o(t)L = ŷ(t) − e_{y(t)}",
            "ŷ(t) is a probability vector (every entry in (0, 1), summing to 1), so the gradient is negative only "
            "at the target, positive everywhere else, and its entries sum to 0.",
        ),
    ),
    (
        "5. Why ∂L/∂L(t) = 1 (10.17)",
        (
            "L = Σ_t L(t): every L(t) enters the sum with coefficient 1. And o(t) feeds only L(t) (nothing later "
            "reads o(t)), so ∇o(t)L = ∂L(t)/∂o(t), which is 10.18.",
        ),
    ),
    (
        "6. On through time (10.19–10.28)",
        (
            "10.19        h(τ) feeds only o(τ):  ∇h(τ)L = Vᵀ ∇o(τ)L",
            "10.20–10.21  h(t), t < τ, feeds o(t) and, through a(t+1) = b + W h(t) + U x(t+1) and "
            "h(t+1) = tanh(a(t+1)), every later step; tanh′(a) = 1 − tanh(a)² = 1 − h²:",
            "             ∇h(t)L = Wᵀ diag(1 − h(t+1)²) ∇h(t+1)L + Vᵀ ∇o(t)L",
            "10.22–10.28  every step shares the parameters, so their gradients sum over t:",
            "             ∇c L = Σ_t ∇o(t)L    ∇b L = Σ_t diag(1 − h(t)²) ∇h(t)L    ∇V L = Σ_t ∇o(t)L h(t)ᵀ",
            "             ∇W L = Σ_t diag(1 − h(t)²) ∇h(t)L h(t−1)ᵀ    ∇U L = Σ_t diag(1 − h(t)²) ∇h(t)L x(t)ᵀ",
            "Check each one on its own node: gradcheck run --equations",
        ),
    ),
    (
        "7. Two misreadings",
        (
            '(a) "ŷ_i = o_i / Σ_j o_j". Without the exponentials this is not softmax: its entries can be negative '
            "or above 1 and it is undefined when Σ_j o_j = 0, so it is not a probability vector. And 10.18 is not "
            "its gradient: ∂/∂o_i [−log(o_y / Σ_j o_j)] = −1[i = y]/o_y + 1/Σ_j o_j. "
            "Try: gradcheck run --bug ratio-softmax",
            '(b) "ŷ is the one-hot prediction". ŷ(t) is the whole probability vector softmax(o(t)), not '
            "e_{argmax}. Read as one-hot, ŷ − e_y would be 0 whenever the prediction is right, leaving nothing "
            "to learn, and argmax has no useful derivative. Try: gradcheck run --bug missing-indicator",
        ),
    ),
)


def derivation() -> Group:
    """The derivation of 10.18 and the chain through 10.28, as text."""
    parts: list[RenderableType] = [Text("Equation 10.18, step by step", style="bold underline")]
    for heading, paragraphs in DERIVATION:
        parts += [Text(), Text(heading, style="bold"), *(Text(p) for p in paragraphs)]
    return Group(*parts)


def step_table(n: StepNumbers) -> Table:
    """The vectors of 10.18 at step t, beside the finite-difference estimate and the two misreadings."""
    target = f"y(t) = {n.y}" + (f" ({n.symbol!r})" if n.symbol is not None else "")
    table = Table(
        title=f"∇o(t)L at t = {n.t} of τ = {n.tau}, {target}",
        caption="* the target class y(t)",
        title_justify="left",
        caption_justify="left",
        header_style="bold",
    )
    columns = (
        "i",
        "o_i(t)",
        "ŷ_i(t)",
        "1[i = y(t)]",
        "ŷ − e_y (10.18)",
        "finite diff.",
        "o_i / Σo",
        "(a) ratio − e_y",
        "(b) onehot − e_y",
    )
    for name in columns:
        table.add_column(Text(name), justify="right")
    for i in range(len(n.o)):
        before = (n.o[i], n.y_hat[i])
        after = (n.grad[i], n.numeric[i], n.ratio[i], n.ratio_grad[i], n.one_hot_grad[i])
        style = "bold" if i == n.y else ""
        cells = [
            f"{i}*" if i == n.y else str(i),
            *(f"{v: .6f}" for v in before),
            f"{n.e_y[i]:.0f}",
            *(f"{v: .6f}" for v in after),
        ]
        table.add_row(*(Text(cell, style=style) for cell in cells))
    return table


def step_summary(n: StepNumbers) -> Group:
    """What the numbers at step t show, one line per claim."""
    lines = [
        Text(f"10.18 against finite differences of L: max |difference| = {sci(n.error)}  ").append(verdict_text(n.matches)),
        Text(
            f"ŷ(t) is a probability vector: entries in ({n.y_hat.min():.3g}, {n.y_hat.max():.3g}), "
            f"Σ_i ŷ_i = {n.y_hat.sum():.15f}; Σ_i (ŷ − e_y)_i = {sci(float(n.grad.sum()))}"
        ),
        Text(
            f"(a) ratio − e_y against finite differences of L: max |difference| = {sci(n.ratio_error)}"
            f"; o/Σo has entries from {n.ratio.min():.3g} to {n.ratio.max():.3g}, summing to {n.ratio.sum():.3g}"
        ),
    ]
    if n.ratio_own_error is not None:
        lines.append(
            Text(f"    and not even the gradient of its own loss −log(o_y/Σo): max |difference| = {sci(n.ratio_own_error)}")
        )
    else:
        lines.append(Text(f"    and its own loss −log(o_y/Σo) is undefined here: o_y/Σo = {n.ratio[n.y]:.3g} ≤ 0"))
    nothing = "  (the prediction is right, so it is all zeros: nothing to learn)" if not n.one_hot_grad.any() else ""
    lines.append(Text(f"(b) onehot − e_y against finite differences of L: max |difference| = {sci(n.one_hot_error)}{nothing}"))
    return Group(*lines)


def explain_report(numbers: StepNumbers | None, source: str | None) -> Group:
    """`gradcheck explain`: the derivation, and with a config the numbers at one step."""
    parts: list[RenderableType] = [derivation()]
    if numbers is not None:
        parts += [Text(), Text(f"8. The numbers ({source})", style="bold"), step_table(numbers), step_summary(numbers)]
    return Group(*parts)


def network_report(network: Network, variant: str, source: str) -> Group:
    """`explain` for a network without the walkthrough of 10.18: its forward equations as the book numbers them (its
    doc), the derivation of its backward pass (the backward's docstring) and the rows the check compares."""
    import inspect

    backward = getattr(network.backward, "func", network.backward)  # the function itself, under a bound kind
    table = Table(title="the rows the check compares (each node perturbed itself)", title_justify="left", box=box.SIMPLE)
    table.add_column("eq", style="bold")
    table.add_column("gradient")
    table.add_column("formula")
    for equation in network.equations:
        table.add_row(Text(equation.number), Text(equation.gradient), Text(equation.formula))
    parts: list[RenderableType] = [
        Text(f"{network.kind} ({variant})" + (f" — {source}" if source else ""), style="bold"),
        Text(inspect.cleandoc(network.doc)),
        Text(),
        Text("the backward pass", style="bold"),
        Text(inspect.cleandoc(backward.__doc__ or "")),
        Text(),
        table,
    ]
    return Group(*parts)
