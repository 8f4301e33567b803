"""The cs231n layout: `rnn_forward(x, h0, Wx, Wh, b)` / `rnn_backward(dh, cache)` of an assignment's rnn_layers.py,
composed with its temporal layers (or the book's, where the file has none)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from gradcheck.errors import UserCodeError
from gradcheck.user.layouts.base import Arrays, Layout, copies, kind_of


class CS231n(Layout):
    """rnn_forward(x, h0, Wx, Wh, b) and rnn_backward(dh, cache), batch-major (N = 1) with Wx = Uᵀ (D×H), Wh = Wᵀ,
    composed with temporal_affine_forward/backward (w = Vᵀ, b = c) and temporal_softmax_loss: the user's own when
    the file defines them (as the assignment's does), else the book's."""

    name = "cs231n"

    def _helper(self, name: str) -> Callable[..., Any]:
        found = getattr(self.module, name, None)
        return found if callable(found) else BOOK_HELPERS[name]

    def _forward(self, function: str, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> tuple[Any, ...]:
        p = copies(params)
        self._set_sizes(len(x))
        got = self._function(function)(np.array(x)[np.newaxis], p["h0"][np.newaxis], p["U"].T.copy(), p["W"].T.copy(), p["b"])
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            raise UserCodeError(f"{self.file}: {function}(x, h0, Wx, Wh, b) returned {kind_of(got)}; expected (h, cache)")
        h, cache = got
        tau, H = len(x), len(params["b"])
        h = self._array(h, f"h from {function}", (1, tau, H))
        scores, affine_cache = self._helper("temporal_affine_forward")(h, p["V"].T.copy(), p["c"])
        mask = np.ones((1, tau), dtype=bool)
        loss, dscores = self._helper("temporal_softmax_loss")(scores, np.array(y)[np.newaxis], mask)
        return loss, dscores, affine_cache, cache

    def gradients(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> Arrays:
        assert self.forward_name is not None
        _, dscores, affine_cache, cache = self._forward(self.forward_name, params, x, y)
        tau, (O, H), I = len(x), params["V"].shape, params["U"].shape[1]
        dh, dw, dc = self._helper("temporal_affine_backward")(dscores, affine_cache)
        got = self._function(self.backward_name)(dh, cache)
        what = f"{self.backward_name}(dh, cache)"
        if not isinstance(got, (tuple, list)) or len(got) != 5:
            raise UserCodeError(f"{self.file}: {what} returned {kind_of(got)}; expected (dx, dh0, dWx, dWh, db)")
        _, dh0, dWx, dWh, db = got
        return {
            "U": self._array(dWx, f"dWx from {self.backward_name}", (I, H)).T,
            "W": self._array(dWh, f"dWh from {self.backward_name}", (H, H)).T,
            "V": self._array(dw, "dw from temporal_affine_backward", (H, O)).T,
            "b": self._array(db, f"db from {self.backward_name}", (H,)),
            "c": self._array(dc, "db from temporal_affine_backward", (O,)),
            "h0": self._array(dh0, f"dh0 from {self.backward_name}", (1, H))[0],
            "o": self._array(dscores, "dx from temporal_softmax_loss", (1, tau, O))[0],
        }

    def loss(self, params: Arrays, x: NDArray[Any], y: NDArray[Any]) -> float | complex:
        assert self.forward_name is not None
        return self._loss(self._forward(self.forward_name, params, x, y)[0], "the loss from temporal_softmax_loss")


# The assignment's given layers, for a file that defines only the RNN: the book's 10.10–10.14 with N = 1.
def _affine_forward(h: NDArray[Any], w: NDArray[Any], b: NDArray[Any]) -> tuple[NDArray[Any], tuple[Any, ...]]:
    return h @ w + b, (h, w)  # (10.10) o(t) = c + V h(t), batch-major


def _affine_backward(dout: NDArray[Any], cache: tuple[Any, ...]) -> tuple[NDArray[Any], NDArray[Any], NDArray[Any]]:
    h, w = cache
    return dout @ w.T, np.einsum("nth,nto->ho", h, dout), dout.sum(axis=(0, 1))  # (10.24), (10.22)


def _softmax_loss(scores: NDArray[Any], y: NDArray[Any], mask: NDArray[Any]) -> tuple[Any, NDArray[Any]]:
    shifted = scores - scores.real.max(axis=-1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))  # (10.11) in log form
    n, t = np.indices(y.shape)
    loss = -(mask * log_p[n, t, y]).sum() / len(scores)  # (10.12–10.14), summed over t, divided by N
    dscores = np.exp(log_p)
    dscores[n, t, y] -= 1.0  # (10.18)
    return loss, dscores * mask[..., np.newaxis] / len(scores)


BOOK_HELPERS: dict[str, Callable[..., Any]] = {
    "temporal_affine_forward": _affine_forward,
    "temporal_affine_backward": _affine_backward,
    "temporal_softmax_loss": _softmax_loss,
}
