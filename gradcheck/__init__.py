"""gradcheck: prove by finite differences that the BPTT gradients of a tanh RNN are right."""

from importlib.metadata import version

from gradcheck.api import GradientReport, check_gradients

__all__ = ["GradientReport", "__version__", "check_gradients"]
__version__ = version("gradcheck")
