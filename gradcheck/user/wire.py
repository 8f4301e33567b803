"""The message format between gradcheck and the child process that runs a user's code, in both directions.

A message is one value (see `Value`), framed as

    b"GCW1" | header length (u64, little-endian) | blob length total (u64) | header | blob 0 | blob 1 | …

The header is JSON (ASCII): {"blobs": [length, …], "value": encoded value}. Each numpy array is written as a
blob with `numpy.lib.format.write_array` and replaced in the JSON by {"$array": index}; blobs are read back with
`allow_pickle=False`, and only bool and numeric dtypes (complex included) are accepted, so nothing the child sends
is ever unpickled. JSON lacks some of our values, so they are tagged: an object with exactly one key that starts
with "$" is a tag ({"$float": "nan"}, {"$complex": [re, im]}, {"$tuple": […]}, {"$array": i}), and a user
dict of that shape is escaped as {"$dict": {…}}.

Sizes are bounded before anything is allocated (a header of at most 64 MiB, blobs of at most the reader's limit),
so a hostile child cannot make the parent allocate without bound; every malformed message raises `WireError`.
"""

from __future__ import annotations

import io
import json
import math
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from typing import TypeAlias

import numpy as np
import numpy.lib.format as npy
import numpy.typing as npt

from gradcheck.errors import UserCodeError

Value: TypeAlias = (
    "bool | int | float | complex | str | npt.NDArray[Any] | list[Value] | tuple[Value, ...] | dict[str, Value] | None"
)
ReadExact: TypeAlias = Callable[[int], bytes]  # exactly n bytes; raises ClosedError at end of stream

MAGIC = b"GCW1"
PREFIX = struct.Struct("<4sQQ")
MAX_HEADER = 64 * 2**20
MAX_DEPTH = 64  # nesting of lists, tuples and dicts
ARRAY_KINDS = "biufc"  # bool, signed and unsigned integers, floats, complex
SPECIAL_FLOATS = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}


class WireError(UserCodeError):
    """A message that cannot be written (an unsupported value) or read (truncated, garbled, too big)."""


class ClosedError(Exception):
    """The other end closed the stream; `at_boundary` when that happened between messages (a clean end)."""

    def __init__(self, at_boundary: bool) -> None:
        self.at_boundary = at_boundary
        super().__init__("end of stream" + ("" if at_boundary else " inside a message"))


# --- writing ------------------------------------------------------------------------------------------------------


def encode(value: Value) -> bytes:
    """The framed message holding `value`; WireError names the first unsupported type found."""
    blobs: list[bytes] = []
    body = _encode_value(value, blobs, 0)
    try:
        header = json.dumps({"blobs": [len(b) for b in blobs], "value": body}, allow_nan=False).encode("ascii")
    except ValueError as error:  # an int too long to write in decimal
        raise WireError(f"cannot send the value: {error}") from None
    if len(header) > MAX_HEADER:
        raise WireError(f"cannot send the value: its description is over {MAX_HEADER // 2**20} MiB")
    return b"".join([PREFIX.pack(MAGIC, len(header), sum(map(len, blobs))), header, *blobs])


def _encode_value(value: Any, blobs: list[bytes], depth: int) -> Any:
    """The JSON form of one value, appending any arrays to blobs."""
    if depth > MAX_DEPTH:
        raise WireError(f"cannot send a value nested over {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return _encode_float(value)
    if isinstance(value, complex):
        return {"$complex": [_encode_float(value.real), _encode_float(value.imag)]}
    if isinstance(value, np.ndarray):
        return {"$array": _add_blob(value, blobs)}
    if isinstance(value, (list, tuple)):
        items = [_encode_value(item, blobs, depth + 1) for item in value]
        return items if isinstance(value, list) else {"$tuple": items}
    if isinstance(value, dict):
        return _encode_dict(value, blobs, depth)
    raise WireError(f"cannot send a value of type {type(value).__name__}")


def _encode_float(x: float) -> float | dict[str, str]:
    """A float as JSON: itself when finite, else tagged (JSON has no nan or inf)."""
    return x if math.isfinite(x) else {"$float": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def _encode_dict(value: dict[Any, Any], blobs: list[bytes], depth: int) -> dict[str, Any]:
    """A dict with str keys; escaped as {"$dict": …} when it would read as a tag."""
    if not all(isinstance(key, str) for key in value):
        raise WireError("cannot send a dict whose keys are not all str")
    items = {key: _encode_value(item, blobs, depth + 1) for key, item in value.items()}
    return {"$dict": items} if _is_tag(items) else items


def _add_blob(array: npt.NDArray[Any], blobs: list[bytes]) -> int:
    """Write the array as a .npy blob and return its index."""
    if array.dtype.kind not in ARRAY_KINDS or array.dtype.fields is not None:
        raise WireError(f"cannot send an array of dtype {array.dtype.name}: only bool and numeric dtypes")
    stream = io.BytesIO()
    npy.write_array(stream, array, allow_pickle=False)
    blobs.append(stream.getvalue())
    return len(blobs) - 1


# --- reading ------------------------------------------------------------------------------------------------------


def decode(read_exact: ReadExact, max_blob_bytes: int) -> Value:
    """Read one message. Raises ClosedError at end of stream, WireError if the message is malformed or too big."""
    try:
        prefix = read_exact(PREFIX.size)
    except ClosedError:
        raise ClosedError(at_boundary=True) from None
    magic, header_size, blob_total = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise WireError("not a message: wrong magic bytes")
    if header_size > MAX_HEADER:
        raise WireError(f"a message header claims {header_size} bytes, over the {MAX_HEADER // 2**20} MiB limit")
    if blob_total > max_blob_bytes:
        raise WireError(f"a message claims {blob_total} bytes of arrays, over the limit of {max_blob_bytes}")
    header = _parse_header(_read_body(read_exact, header_size))
    sizes = header["blobs"]
    if sum(sizes) != blob_total:
        raise WireError("a message's array sizes do not add up")
    blobs = [_parse_blob(_read_body(read_exact, size)) for size in sizes]
    return _decode_value(header["value"], blobs, 0)


def _read_body(read_exact: ReadExact, size: int) -> bytes:
    """Bytes inside a message, where an end of stream is a truncated message."""
    try:
        return read_exact(size)
    except ClosedError:
        raise ClosedError(at_boundary=False) from None


def _refuse_constant(name: str) -> None:
    raise WireError(f"a message header holds the bare JSON constant {name}")


def _parse_float(text: str) -> float:
    """A JSON number with a fraction or exponent; one beyond the float range (1e999) is refused, not made inf."""
    x = float(text)
    if not math.isfinite(x):
        raise WireError("a message header holds a number beyond the float range")
    return x


def _parse_header(raw: bytes) -> dict[str, Any]:
    """The JSON header: {"blobs": [non-negative ints], "value": …}."""
    try:
        header = json.loads(raw.decode("ascii"), parse_float=_parse_float, parse_constant=_refuse_constant)
    except (UnicodeDecodeError, ValueError, RecursionError):  # JSONDecodeError is a ValueError; so is a 5000-digit int
        raise WireError("a message header is not valid JSON") from None
    if not (isinstance(header, dict) and header.keys() == {"blobs", "value"} and isinstance(header["blobs"], list)):
        raise WireError("a message header lacks its blobs or value")
    if not all(type(size) is int and size >= 0 for size in header["blobs"]):
        raise WireError("a message header lists an invalid array size")
    return header


def _parse_blob(data: bytes) -> npt.NDArray[Any]:
    """A .npy blob as an array, checking its dtype and length before numpy allocates anything."""
    stream = io.BytesIO(data)
    try:
        version = npy.read_magic(stream)
        read_header = {(1, 0): npy.read_array_header_1_0, (2, 0): npy.read_array_header_2_0}.get(version)
        if read_header is None:
            raise WireError(f"an array blob has unsupported .npy version {version}")
        shape, _, dtype = read_header(stream)
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
            raise WireError(f"an array blob has dtype {dtype.name}: only bool and numeric dtypes are accepted")
        if stream.tell() + math.prod(shape) * dtype.itemsize != len(data):
            raise WireError("an array blob's length does not match its shape")
        stream.seek(0)
        return npy.read_array(stream, allow_pickle=False)
    except (ValueError, TypeError, OverflowError, SyntaxError):  # numpy's own complaints about a malformed .npy header
        raise WireError("an array blob is not a valid .npy array") from None


def _decode_value(node: Any, blobs: list[npt.NDArray[Any]], depth: int) -> Value:
    """The value a JSON node stands for."""
    if depth > MAX_DEPTH:
        raise WireError(f"a message nests values over {MAX_DEPTH} levels deep")
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode_value(item, blobs, depth + 1) for item in node]
    if not isinstance(node, dict):
        raise WireError("a message holds an unknown JSON value")
    if not _is_tag(node):
        return {key: _decode_value(item, blobs, depth + 1) for key, item in node.items()}
    [(tag, payload)] = node.items()
    return _decode_tag(tag, payload, blobs, depth)


def _decode_tag(tag: str, payload: Any, blobs: list[npt.NDArray[Any]], depth: int) -> Value:
    """The value of one tagged object {"$tag": payload}."""
    if tag == "$float" and payload in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[payload]
    if tag == "$complex" and isinstance(payload, list) and len(payload) == 2:
        real, imag = (_decode_float(part) for part in payload)
        return complex(real, imag)
    if tag == "$tuple" and isinstance(payload, list):
        return tuple(_decode_value(item, blobs, depth + 1) for item in payload)
    if tag == "$array" and type(payload) is int and 0 <= payload < len(blobs):
        return blobs[payload]
    if tag == "$dict" and isinstance(payload, dict):
        return {key: _decode_value(item, blobs, depth + 1) for key, item in payload.items()}
    raise WireError(f"a message holds an invalid {tag[:20]} tag")


def _decode_float(node: Any) -> float:
    """One part of a complex number: a JSON number or a tagged nan/inf."""
    if isinstance(node, (int, float)) and not isinstance(node, bool):
        try:
            return float(node)
        except OverflowError:  # an int beyond the float range
            raise WireError("a message holds a complex part beyond the float range") from None
    if isinstance(node, dict) and node.keys() == {"$float"} and node["$float"] in SPECIAL_FLOATS:
        return SPECIAL_FLOATS[node["$float"]]
    raise WireError("a message holds an invalid complex number")


def _is_tag(node: dict[str, Any]) -> bool:
    """Whether a JSON object reads as a tag: exactly one key, starting with "$"."""
    return len(node) == 1 and next(iter(node)).startswith("$")
