"""gradcheck: prove by finite differences that the BPTT gradients of a tanh RNN are right.

The library API is `check_gradients` (returning a `GradientReport`) and `gradcheck.testing.assert_gradients_close`;
`import gradcheck` loads numpy and the engine only.
"""

from gradcheck.api import GradientReport, MutationWarning, PrecisionWarning, check_gradients

__all__ = ["GradientReport", "MutationWarning", "PrecisionWarning", "__version__", "check_gradients"]


def __getattr__(name: str) -> str:
    """`__version__`, read from the installed package's metadata when it is first asked for."""
    if name == "__version__":
        from importlib.metadata import version

        return version("gradcheck")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
