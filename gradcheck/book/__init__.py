"""The book: the networks of Goodfellow et al., Deep Learning, chapter 10, forward and backward, each line citing its
equation; numpy only, no I/O. Also the wrong derivations students write (bugs), as variants of a backward pass."""
