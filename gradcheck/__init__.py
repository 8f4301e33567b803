"""gradcheck: prove by finite differences that the BPTT gradients of a tanh RNN are right."""

from importlib.metadata import version

__version__ = version("gradcheck")
