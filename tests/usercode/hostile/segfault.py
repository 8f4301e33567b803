"""Reads address 0."""

import ctypes


def backward():
    return ctypes.string_at(0)
