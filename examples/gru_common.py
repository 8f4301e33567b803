"""The GRU in its common form (that of torch.nn.GRU), with the book's names, in the `book` layout.

For t = 1..τ, with h(0) = 0:

    u(t) = σ(bu + Uu x(t) + Wu h(t−1))           update gate
    r(t) = σ(br + Ur x(t) + Wr h(t−1))           reset gate
    n(t) = tanh(b + U x(t) + r(t) ⊙ (W h(t−1)))  candidate (the reset gate acts after W)
    h(t) = (1 − u(t)) ⊙ n(t) + u(t) ⊙ h(t−1)
    o(t) = c + V h(t),   L = Σ_t −log softmax(o(t))[y(t)]

Check it with:

    gradcheck run configs/gru-common.toml --backward examples/gru_common.py --forward examples/gru_common.py

Shapes: Uu, Ur, U (H, I); Wu, Wr, W (H, H); bu, br, b (H,); V (O, H); c (O,);
x (τ, I) with row t-1 = x(t); y (τ,) ints.
"""

import numpy as np


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _forward_pass(Uu, Wu, bu, Ur, Wr, br, U, W, b, V, c, x):
    """u, r, n, m = W h(t−1) as rows 1..τ (row 0 unused); h as rows 0..τ; ŷ as rows 0..τ-1."""
    tau, H = len(x), len(b)
    u, r, n, m, h = (np.zeros((tau + 1, H)) for _ in range(5))
    for t in range(1, tau + 1):
        u[t] = _sigmoid(bu + Uu @ x[t - 1] + Wu @ h[t - 1])
        r[t] = _sigmoid(br + Ur @ x[t - 1] + Wr @ h[t - 1])
        m[t] = W @ h[t - 1]
        n[t] = np.tanh(b + U @ x[t - 1] + r[t] * m[t])
        h[t] = (1.0 - u[t]) * n[t] + u[t] * h[t - 1]
    o = c + h[1:] @ V.T
    o = o - o.max(axis=1, keepdims=True)  # softmax is unchanged by a shift; this avoids overflow
    y_hat = np.exp(o) / np.exp(o).sum(axis=1, keepdims=True)
    return u, r, n, m, h, y_hat


def forward(Uu, Wu, bu, Ur, Wr, br, U, W, b, V, c, x, y):
    """L = Σ_t −log ŷ(t)_{y(t)}, natural log, summed over t."""
    *_, y_hat = _forward_pass(Uu, Wu, bu, Ur, Wr, br, U, W, b, V, c, x)
    return float(-np.log(y_hat[np.arange(len(y)), y]).sum())


def backward(Uu, Wu, bu, Ur, Wr, br, U, W, b, V, c, x, y):
    """Every gradient of L by back-propagation through time."""
    u, r, n, m, h, y_hat = _forward_pass(Uu, Wu, bu, Ur, Wr, br, U, W, b, V, c, x)
    tau, H = len(x), len(b)

    grad_o = y_hat.copy()
    grad_o[np.arange(tau), y] -= 1.0  # ∇o(t)L = ŷ(t) − e_y(t)

    grad_h = grad_o @ V  # rows Vᵀ ∇o(t)L; the recurrent part is added below
    # Rows 1..τ of ∇au(t)L, ∇ar(t)L, ∇an(t)L (pre-activations of u, r, n) and ∇m(t)L (row 0 unused).
    grad_au, grad_ar, grad_an, grad_m = (np.zeros((tau + 1, H)) for _ in range(4))
    for t in range(tau, 0, -1):
        if t < tau:  # ∇h(t)L += ∇h(t+1)L ⊙ u(t+1) + Wuᵀ ∇au(t+1)L + Wrᵀ ∇ar(t+1)L + Wᵀ ∇m(t+1)L
            grad_h[t - 1] += grad_h[t] * u[t + 1]
            grad_h[t - 1] += Wu.T @ grad_au[t + 1] + Wr.T @ grad_ar[t + 1] + W.T @ grad_m[t + 1]
        grad_n = grad_h[t - 1] * (1.0 - u[t])  # ∇n(t)L = ∇h(t)L ⊙ (1 − u(t))
        grad_u = grad_h[t - 1] * (h[t - 1] - n[t])  # ∇u(t)L = ∇h(t)L ⊙ (h(t−1) − n(t))
        grad_an[t] = grad_n * (1.0 - n[t] ** 2)  # ∇an(t)L = ∇n(t)L ⊙ (1 − n(t)²)
        grad_m[t] = grad_an[t] * r[t]  # ∇m(t)L = ∇an(t)L ⊙ r(t), where m(t) = W h(t−1)
        grad_ar[t] = grad_an[t] * m[t] * r[t] * (1.0 - r[t])  # ∇ar(t)L = ∇an(t)L ⊙ m(t) ⊙ r(t)(1 − r(t))
        grad_au[t] = grad_u * u[t] * (1.0 - u[t])  # ∇au(t)L = ∇u(t)L ⊙ u(t)(1 − u(t))

    h_prev = h[:-1]  # rows h(t−1), t = 1..τ
    return {
        "Uu": grad_au[1:].T @ x,  # Σ_t ∇au(t)L x(t)ᵀ
        "Wu": grad_au[1:].T @ h_prev,  # Σ_t ∇au(t)L h(t−1)ᵀ
        "bu": grad_au[1:].sum(axis=0),  # Σ_t ∇au(t)L
        "Ur": grad_ar[1:].T @ x,  # Σ_t ∇ar(t)L x(t)ᵀ
        "Wr": grad_ar[1:].T @ h_prev,  # Σ_t ∇ar(t)L h(t−1)ᵀ
        "br": grad_ar[1:].sum(axis=0),  # Σ_t ∇ar(t)L
        "U": grad_an[1:].T @ x,  # Σ_t ∇an(t)L x(t)ᵀ
        "W": grad_m[1:].T @ h_prev,  # Σ_t ∇m(t)L h(t−1)ᵀ = Σ_t (r(t) ⊙ ∇an(t)L) h(t−1)ᵀ
        "b": grad_an[1:].sum(axis=0),  # Σ_t ∇an(t)L
        "V": grad_o.T @ h[1:],  # Σ_t ∇o(t)L h(t)ᵀ
        "c": grad_o.sum(axis=0),  # Σ_t ∇o(t)L
        "o": grad_o,  # optional: rows ∇o(t)L
        "h": grad_h,  # optional: rows ∇h(t)L
    }
