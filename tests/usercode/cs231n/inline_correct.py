"""Layout: cs231n. Style: rnn_backward written inline (no call to rnn_step_backward), caches as dicts, einsum.
Mistake: none (correct).
"""

import numpy as np


def rnn_step_forward(x, prev_h, Wx, Wh, b):
    out = np.tanh(x.dot(Wx) + prev_h.dot(Wh) + b)
    return out, {"x": x, "prev": prev_h, "Wx": Wx, "Wh": Wh, "h": out}


def rnn_step_backward(dnext_h, cache):
    g = (1.0 - cache["h"] ** 2) * dnext_h
    return g.dot(cache["Wx"].T), g.dot(cache["Wh"].T), cache["x"].T.dot(g), cache["prev"].T.dot(g), g.sum(0)


def rnn_forward(x, h0, Wx, Wh, b):
    hs = []
    h = h0
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t].dot(Wx) + h.dot(Wh) + b)
        hs.append(h)
    hs = np.stack(hs, axis=1)
    return hs, {"x": x, "h0": h0, "h": hs, "Wx": Wx, "Wh": Wh}


def rnn_backward(dh, cache):
    x, hs, Wx, Wh = cache["x"], cache["h"], cache["Wx"], cache["Wh"]
    prev = np.concatenate([cache["h0"][:, None], hs[:, :-1]], axis=1)
    graw = np.zeros_like(hs)
    carry = np.zeros_like(cache["h0"])
    for t in range(hs.shape[1] - 1, -1, -1):
        graw[:, t] = (dh[:, t] + carry) * (1.0 - hs[:, t] ** 2)
        carry = graw[:, t].dot(Wh.T)
    dx = np.einsum("nth,dh->ntd", graw, Wx)
    dWx = np.einsum("ntd,nth->dh", x, graw)
    dWh = np.einsum("ntk,nth->kh", prev, graw)
    return dx, carry, dWx, dWh, graw.sum((0, 1))


def temporal_affine_forward(x, w, b):
    return np.einsum("nth,hm->ntm", x, w) + b, (x, w, b)


def temporal_affine_backward(dout, cache):
    x, w, _ = cache
    return np.einsum("ntm,hm->nth", dout, w), np.einsum("nth,ntm->hm", x, dout), dout.sum((0, 1))


def temporal_softmax_loss(x, y, mask):
    N = x.shape[0]
    z = np.exp(x - x.max(-1, keepdims=True))
    p = z / z.sum(-1, keepdims=True)
    picked = np.take_along_axis(p, y[..., None], axis=-1)[..., 0]
    loss = -np.sum(np.log(picked) * mask) / N
    dx = p.copy()
    np.put_along_axis(dx, y[..., None], np.take_along_axis(dx, y[..., None], axis=-1) - 1.0, axis=-1)
    return loss, dx * mask[..., None] / N
