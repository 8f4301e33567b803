"""torch.autograd.gradcheck (fast_mode=False) on the network of an exported gradcheck problem, as a user would run it.

    python benchmarks/torch_rnn.py PROBLEM.npz --loss loop|vectorised

PROBLEM.npz is `gradcheck export CONFIG -o PROBLEM.npz`: the same parameters and data, float64. The whole check of
U, W, V, b, c runs in this process, torch's import included, so that its wall time compares with a whole
`gradcheck run CONFIG`. Two ways to write the loss:

- loop: a step at a time as the book writes it, each step's own log-softmax (10.8–10.14);
- vectorised: the input terms U x(t) of every step in one product, only the recurrence in a loop, then every
  step's logits, log-softmax and target pick in one go.

Exit code 0 if torch's check passed.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

import numpy as np
import torch


def losses(problem: dict[str, np.ndarray]) -> dict[str, Any]:
    x, y, h0 = (torch.from_numpy(problem[name]) for name in ("x", "y", "h0"))

    def loop(U: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
        h, total = h0, torch.zeros((), dtype=torch.float64)
        for t in range(len(x)):
            h = torch.tanh(b + W @ h + U @ x[t])  # (10.8–10.9)
            total = total - torch.log_softmax(c + V @ h, dim=0)[y[t]]  # (10.10–10.14)
        return total

    def vectorised(U: Any, W: Any, V: Any, b: Any, c: Any) -> Any:
        inputs = x @ U.T + b  # U x(t) + b for every t at once
        h, states = h0, []
        for t in range(len(x)):
            h = torch.tanh(inputs[t] + W @ h)  # (10.8–10.9)
            states.append(h)
        logits = torch.stack(states) @ V.T + c  # (10.10), every step
        return -torch.log_softmax(logits, dim=1).gather(1, y[:, None]).sum()  # (10.11–10.14)

    return {"loop": loop, "vectorised": vectorised}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("problem")
    parser.add_argument("--loss", choices=("loop", "vectorised"), default="loop")
    args = parser.parse_args()
    with np.load(args.problem) as data:
        problem = {name: data[name] for name in data.files}
    loss = losses(problem)[args.loss]
    inputs = tuple(torch.from_numpy(problem[n].copy()).requires_grad_(True) for n in ("U", "W", "V", "b", "c"))
    passed = torch.autograd.gradcheck(loss, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=False)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
