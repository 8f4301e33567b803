"""The LSTM in its common form (that of torch.nn.LSTM), with the book's names, in the `book` layout.

For t = 1..τ, with h(0) = s(0) = 0:

    f(t) = σ(bf + Uf x(t) + Wf h(t−1))      forget gate
    g(t) = σ(bg + Ug x(t) + Wg h(t−1))      input gate
    q(t) = σ(bq + Uq x(t) + Wq h(t−1))      output gate
    z(t) = tanh(b + U x(t) + W h(t−1))      candidate
    s(t) = f(t) ⊙ s(t−1) + g(t) ⊙ z(t)      cell state
    h(t) = tanh(s(t)) ⊙ q(t)
    o(t) = c + V h(t),   L = Σ_t −log softmax(o(t))[y(t)]

Check it with:

    gradcheck run configs/lstm-common.toml --backward examples/lstm_common.py --forward examples/lstm_common.py

Shapes: Uf, Ug, Uq, U (H, I); Wf, Wg, Wq, W (H, H); bf, bg, bq, b (H,); V (O, H); c (O,);
x (τ, I) with row t-1 = x(t); y (τ,) ints.
"""

import numpy as np


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _forward_pass(Uf, Wf, bf, Ug, Wg, bg, Uq, Wq, bq, U, W, b, V, c, x):
    """Gates f, g, q, z as rows 1..τ (row 0 unused); h, s as rows 0..τ; ŷ as rows 0..τ-1."""
    tau, H = len(x), len(b)
    f, g, q, z, s, h = (np.zeros((tau + 1, H)) for _ in range(6))
    for t in range(1, tau + 1):
        f[t] = _sigmoid(bf + Uf @ x[t - 1] + Wf @ h[t - 1])
        g[t] = _sigmoid(bg + Ug @ x[t - 1] + Wg @ h[t - 1])
        q[t] = _sigmoid(bq + Uq @ x[t - 1] + Wq @ h[t - 1])
        z[t] = np.tanh(b + U @ x[t - 1] + W @ h[t - 1])
        s[t] = f[t] * s[t - 1] + g[t] * z[t]
        h[t] = np.tanh(s[t]) * q[t]
    o = c + h[1:] @ V.T
    o = o - o.max(axis=1, keepdims=True)  # softmax is unchanged by a shift; this avoids overflow
    y_hat = np.exp(o) / np.exp(o).sum(axis=1, keepdims=True)
    return f, g, q, z, s, h, y_hat


def forward(Uf, Wf, bf, Ug, Wg, bg, Uq, Wq, bq, U, W, b, V, c, x, y):
    """L = Σ_t −log ŷ(t)_{y(t)}, natural log, summed over t."""
    *_, y_hat = _forward_pass(Uf, Wf, bf, Ug, Wg, bg, Uq, Wq, bq, U, W, b, V, c, x)
    return float(-np.log(y_hat[np.arange(len(y)), y]).sum())


def backward(Uf, Wf, bf, Ug, Wg, bg, Uq, Wq, bq, U, W, b, V, c, x, y):
    """Every gradient of L by back-propagation through time."""
    f, g, q, z, s, h, y_hat = _forward_pass(Uf, Wf, bf, Ug, Wg, bg, Uq, Wq, bq, U, W, b, V, c, x)
    tau, H = len(x), len(b)

    grad_o = y_hat.copy()
    grad_o[np.arange(tau), y] -= 1.0  # ∇o(t)L = ŷ(t) − e_y(t)

    grad_h = grad_o @ V  # rows Vᵀ ∇o(t)L; the recurrent part is added below
    # Rows 1..τ of the pre-activation gradients ∇a(t)L of f, g, q, z (row 0 unused).
    grad_af, grad_ag, grad_aq, grad_az = (np.zeros((tau + 1, H)) for _ in range(4))
    grad_s_next = np.zeros(H)  # ∇s(τ+1)L = 0
    f_next = np.zeros(H)  # f(τ+1) = 0: s(τ) feeds nothing after τ
    for t in range(tau, 0, -1):
        if t < tau:  # ∇h(t)L += Wfᵀ ∇af(t+1)L + Wgᵀ ∇ag(t+1)L + Wqᵀ ∇aq(t+1)L + Wᵀ ∇az(t+1)L
            grad_h[t - 1] += Wf.T @ grad_af[t + 1] + Wg.T @ grad_ag[t + 1]
            grad_h[t - 1] += Wq.T @ grad_aq[t + 1] + W.T @ grad_az[t + 1]
        tanh_s = np.tanh(s[t])
        # ∇s(t)L = ∇h(t)L ⊙ q(t) ⊙ (1 − tanh² s(t)) + ∇s(t+1)L ⊙ f(t+1)
        grad_s = grad_h[t - 1] * q[t] * (1.0 - tanh_s**2) + grad_s_next * f_next
        grad_aq[t] = grad_h[t - 1] * tanh_s * q[t] * (1.0 - q[t])  # ∇aq(t)L = ∇h(t)L ⊙ tanh s(t) ⊙ q(t)(1 − q(t))
        grad_af[t] = grad_s * s[t - 1] * f[t] * (1.0 - f[t])  # ∇af(t)L = ∇s(t)L ⊙ s(t−1) ⊙ f(t)(1 − f(t))
        grad_ag[t] = grad_s * z[t] * g[t] * (1.0 - g[t])  # ∇ag(t)L = ∇s(t)L ⊙ z(t) ⊙ g(t)(1 − g(t))
        grad_az[t] = grad_s * g[t] * (1.0 - z[t] ** 2)  # ∇az(t)L = ∇s(t)L ⊙ g(t) ⊙ (1 − z(t)²)
        grad_s_next, f_next = grad_s, f[t]  # carried back to step t−1

    h_prev = h[:-1]  # rows h(t−1), t = 1..τ
    return {
        "Uf": grad_af[1:].T @ x,  # Σ_t ∇af(t)L x(t)ᵀ
        "Wf": grad_af[1:].T @ h_prev,  # Σ_t ∇af(t)L h(t−1)ᵀ
        "bf": grad_af[1:].sum(axis=0),  # Σ_t ∇af(t)L
        "Ug": grad_ag[1:].T @ x,  # Σ_t ∇ag(t)L x(t)ᵀ
        "Wg": grad_ag[1:].T @ h_prev,  # Σ_t ∇ag(t)L h(t−1)ᵀ
        "bg": grad_ag[1:].sum(axis=0),  # Σ_t ∇ag(t)L
        "Uq": grad_aq[1:].T @ x,  # Σ_t ∇aq(t)L x(t)ᵀ
        "Wq": grad_aq[1:].T @ h_prev,  # Σ_t ∇aq(t)L h(t−1)ᵀ
        "bq": grad_aq[1:].sum(axis=0),  # Σ_t ∇aq(t)L
        "U": grad_az[1:].T @ x,  # Σ_t ∇az(t)L x(t)ᵀ
        "W": grad_az[1:].T @ h_prev,  # Σ_t ∇az(t)L h(t−1)ᵀ
        "b": grad_az[1:].sum(axis=0),  # Σ_t ∇az(t)L
        "V": grad_o.T @ h[1:],  # Σ_t ∇o(t)L h(t)ᵀ
        "c": grad_o.sum(axis=0),  # Σ_t ∇o(t)L
        "o": grad_o,  # optional: rows ∇o(t)L
        "h": grad_h,  # optional: rows ∇h(t)L
    }
