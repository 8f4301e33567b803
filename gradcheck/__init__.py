"""gradcheck: prove by finite differences that the BPTT gradients of a tanh RNN are right.

The library API is `check_gradients` (returning a `GradientReport`) and `gradcheck.testing.assert_gradients_close`;
`import gradcheck` loads numpy and the engine only.
"""

from importlib.metadata import version

from gradcheck.api import GradientReport, MutationWarning, PrecisionWarning, check_gradients

__all__ = ["GradientReport", "MutationWarning", "PrecisionWarning", "__version__", "check_gradients"]
__version__ = version("gradcheck")
