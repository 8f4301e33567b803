"""pytest helper: assert that a numpy gradient matches finite differences, with the table as the message."""

from __future__ import annotations

from typing import Any

from gradcheck.api import check_gradients


def assert_gradients_close(*args: Any, **kwargs: Any) -> None:
    """check_gradients(*args, **kwargs), raising AssertionError whose message is the table when it fails.

    The message names every failing array, its worst entry and both values there.
    """
    result = check_gradients(*args, **kwargs)
    if not result.passed:
        raise AssertionError("gradients differ from finite differences:\n" + str(result))
