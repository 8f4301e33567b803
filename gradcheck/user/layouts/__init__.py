"""The layouts people write Fig. 10.3's RNN in, each turned into the book's names and time-major shapes: one module
each (book, minchar, cs231n, method), beside what they share (base) and the child's handler over a file (session).

This package runs in the child process only, beside the user's module (the sandbox's adapter is
"gradcheck.user.layouts:Session"). Every layout answers the same four questions in the book's terms:

    gradients(params, x, y)      {U, W, V, b, c, h0: ∇L, and where the layout gives them o: ∇o(t)L, h: ∇h(t)L}
    loss(params, x, y)           L from the user's forward pass
    entry_losses(params, x, y, name, index, shifts)              L with entry index[k] of `name` moved by shifts[k]
    direction_losses(params, x, y, name, directions, k, shifts)  L with `name` moved by shifts[r]·directions[k[r]]

params are the book's {U (H×I), W (H×H), V (O×H), b (H,), c (O,), h0 (H,)}; x (τ×I), y (τ,) ints. The book layout
also serves the other networks of chapter 10, with their own parameter and node names. The user's functions always
get fresh copies, so nothing they do in place reaches the next call. A new layout is one module and one entry in
session.HANDLERS.
"""

from gradcheck.user.layouts.base import DEFAULT_FUNCTIONS, LAYOUTS, SIZE_NAMES
from gradcheck.user.layouts.session import Session

__all__ = ["DEFAULT_FUNCTIONS", "LAYOUTS", "SIZE_NAMES", "Session"]
