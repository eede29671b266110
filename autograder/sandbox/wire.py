"""Plain data on the wire: a JSON tree plus arrays as raw bytes behind fixed headers; no pickle.

`encode` only ever calls methods of exact builtin and numpy types, so a hostile value cannot run
code through it.  `decode` trusts nothing: the bytes may come from a fully compromised worker.

A message is ``MAGIC | tree length (u64) | JSON tree | array count (u64) | array*``, every
integer little-endian, and each array is

    dtype code (u8) | byte order (u8) | ndim (u8) | 5 zero bytes | data length (u64)
    | shape (ndim u64, then 8 zero bytes when ndim is odd) | data | zero bytes to a multiple of 16

The dtype code indexes `DTYPES`: 0 bool, 1-4 int8..int64, 5-8 uint8..uint64, 9-12 float16,
float32, float64, longdouble. The byte order, 0 for little-endian data and 1 for big-endian, is
the array's own (the encoder never converts). The data is the array's elements in C order,
``prod(shape) * itemsize`` bytes (a 0-d array has no shape and one element). Spaces after the
tree put the first array on a 16-byte boundary and every array keeps it, so each array's data
starts on one. A message of another version (another MAGIC) is refused as not ours.

Every size is bounded while parsing, never after, so a forged message costs the reader little
more than an honest one of the same caps. With the default ``Caps()`` (100,000 parts, 256
arrays, 64 MiB):

* a message is at most ``caps.message_bytes`` (71.2 MiB) long; a reader refuses a longer one
  from its length, and one whose tree is over its cap from its first ``PREFIX.size`` bytes
  (`check_prefix`), before it holds the rest;
* the tree has its own cap, ``caps.tree_bytes`` (7.1 MiB), and is parsed only when it holds at
  most ``caps.structure`` (600,000) brackets, commas and colons outside its strings: that bounds
  the objects ``json.loads`` can make. No number literal but an array index, no NaN;
* at most ``caps.arrays`` arrays, each header checked field by field before its data is
  touched: a known dtype code and byte order, at most 64 dimensions (numpy 2's own limit), a
  data length equal to its shape's size (in exact integers: no overflow), the product of the
  dimensions (a zero counted as one) at most ``caps.bytes``, and all arrays together at most
  ``caps.bytes``. The data must then be in the message, so a forged shape never allocates
  more than was sent. Padding is skipped unread;
* the arrays are views of the message's buffer when it is writable (data not in the machine's
  byte order is swapped in place), copies of their own data when it is read-only.

So the reader's extra memory for one message is the message itself (at most 71.2 MiB, and only
what was actually sent, see `frames`) plus what parsing its tree takes: at most about 80 MiB
(three copies of the tree, 600,000 JSON objects, then the decoded values); the worst forged tree
measured takes 49 MiB (600,000 two-letter strings), an honest message at the caps 28 MiB
(100,000 floats beside 50 MiB of arrays). Parsing any message takes well under a second.
"""

from __future__ import annotations

import json
import struct
import sys
from dataclasses import dataclass
from math import prod

import numpy as np

MAGIC = b"AGW2"
#: The dtypes an array may have, in the order of their codes on the wire.
DTYPES = tuple(np.dtype(t) for t in (
    np.bool_, np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.longdouble))
#: The code of each dtype from its kind and size, the first code of a size winning: float64's
#: where longdouble is no wider.
_CODES = {(dtype.kind, dtype.itemsize): code for code, dtype in reversed(tuple(enumerate(DTYPES)))}
_FLOAT_SCALARS = (np.float16, np.float32, np.float64, np.longdouble)
_INT_SCALARS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
_INT64 = np.iinfo(np.int64)
_LEN = struct.Struct("<Q")
#: The start of every message: MAGIC and the length of its JSON tree.
PREFIX = struct.Struct("<4sQ")
#: An array's fixed header: dtype code, byte order, ndim, five zero bytes, data length.
_ARRAY = struct.Struct("<BBB5xQ")
_LITTLE, _BIG = 0, 1
_NATIVE = _BIG if sys.byteorder == "big" else _LITTLE
_MAX_NDIM = 64
#: An array's shape for each ndim, padded to a multiple of 16 bytes.
_SHAPES = [struct.Struct(f"<{ndim}Q{ndim % 2 * 8}x") for ndim in range(_MAX_NDIM + 1)]
_ALIGN = 16
#: Bytes of a JSON tree that make json.loads build a container or an item (see `_structure`).
_STRUCTURAL = np.zeros(256, dtype=bool)
_STRUCTURAL[list(b"[{,:")] = True
_QUOTE = ord('"')
_CHUNK = 1 << 20
#: The text an unsupported value is shown by: its type's name, and what is wrong with it.
TYPE_NAME_CHARS = 100
DETAIL_CHARS = 200
#: The digits of a number, and of an array's index in the tree.
NUMBER_CHARS = 5000
INDEX_CHARS = 12


class WireError(Exception):
    """The value cannot be encoded within the caps, or the bytes are not a valid message."""


@dataclass(frozen=True)
class Unsupported:
    """Stands for a returned object that is not plain data (its type name, never the object)."""

    type_name: str
    detail: str = ""


@dataclass(frozen=True)
class Caps:
    depth: int = 32
    nodes: int = 100_000
    arrays: int = 256
    bytes: int = 64 << 20  # the arrays and strings of one value together

    @property
    def tree_bytes(self) -> int:
        """The JSON tree's own cap: 64 bytes per part (a number takes 40) plus 1 MiB of text."""
        return 64 * self.nodes + (1 << 20)

    @property
    def structure(self) -> int:
        """Brackets, commas and colons outside strings: an encoded part makes at most 6."""
        return 6 * self.nodes

    @property
    def message_bytes(self) -> int:
        """The longest message `decode` accepts."""
        per_array = _ARRAY.size + _SHAPES[_MAX_NDIM].size + _ALIGN - 1
        return PREFIX.size + self.tree_bytes + _LEN.size + self.arrays * per_array + self.bytes


def _type_name(obj: object) -> str:
    name = type.__dict__["__name__"].__get__(type(obj))
    return name[:TYPE_NAME_CHARS]


class _Encoder:
    def __init__(self, caps: Caps):
        self.caps = caps
        self.nodes = 0
        self.size = 0
        self.arrays: list[tuple[int, np.ndarray]] = []

    def _count(self, size: int) -> None:
        self.nodes += 1
        self.size += size
        if self.nodes > self.caps.nodes:
            raise WireError(f"the value has more than {self.caps.nodes} parts")
        if self.size > self.caps.bytes:
            raise WireError(f"the value is larger than {self.caps.bytes} bytes")

    def tree(self, x: object, depth: int) -> object:
        if depth > self.caps.depth:
            raise WireError(f"the value is nested more than {self.caps.depth} levels deep")
        t = type(x)
        self._count(8)
        if x is None or t is bool:
            return x
        if t is int:
            try:
                return ["int", int.__repr__(x)]
            except ValueError:
                return ["unsupported", "int", "integer too large"]
        if t is float:
            return ["float", float.__repr__(x)]
        if t is str:
            self._count(len(x))
            return ["str", x]
        if t is list or t is tuple:
            return [t.__name__, [self.tree(item, depth + 1) for item in x]]
        if t is dict:
            for key in dict.keys(x):
                if type(key) is not str:
                    return ["unsupported", "dict", f"a key of type {_type_name(key)}"]
            return ["dict", [[k, self.tree(v, depth + 1)] for k, v in dict.items(x)]]
        if t is np.ndarray:
            return self._array(x)
        if t in _FLOAT_SCALARS:
            return ["npfloat", float.__repr__(float(x))]
        if t in _INT_SCALARS:
            return ["npint", int.__repr__(int(x))]
        if t is np.bool_:
            return ["npbool", bool(x)]
        detail = "ndarray subclass" if issubclass(t, np.ndarray) else "not plain data"
        return ["unsupported", _type_name(x), detail]

    def _array(self, x: np.ndarray) -> object:
        dtype = x.dtype
        code = _CODES.get((dtype.kind, dtype.itemsize))
        if code is None or dtype.fields is not None or dtype.subdtype:
            return ["unsupported", "ndarray", f"dtype {dtype.str}"]
        if len(self.arrays) >= self.caps.arrays:
            raise WireError(f"the value holds more than {self.caps.arrays} arrays")
        self._count(x.nbytes)
        if not x.size and _extent(x.shape) > self.caps.bytes:
            raise WireError(f"an array has more than {self.caps.bytes} elements")
        self.arrays.append((code, x))
        return ["array", len(self.arrays) - 1]


def _extent(shape: tuple[int, ...]) -> int:
    """The product of the dimensions, a zero counted as one: what numpy must be able to index."""
    return prod(n or 1 for n in shape)


def _tree_too_large(caps: Caps) -> WireError:
    return WireError(f"the value's tree is larger than {caps.tree_bytes} bytes")


def _array_parts(code: int, array: np.ndarray) -> list:
    """An array's header, shape, data and padding; the data is the array itself when it is
    C-contiguous (``bytes.join`` reads its buffer), else one copy in C order."""
    ndim, nbytes = array.ndim, array.nbytes
    order = _NATIVE if array.dtype.isnative else 1 - _NATIVE
    data = array if array.flags.c_contiguous else array.tobytes()
    return [_ARRAY.pack(code, order, ndim, nbytes), _SHAPES[ndim].pack(*array.shape), data,
            bytes(-nbytes % _ALIGN)]


def encode(value: object, caps: Caps = Caps()) -> bytes:
    """Plain data -> bytes: MAGIC, JSON tree, then each array's header and raw data."""
    encoder = _Encoder(caps)
    tree = json.dumps(encoder.tree(value, 0), ensure_ascii=True, allow_nan=False,
                      separators=(",", ":")).encode()
    tree += b" " * (-(PREFIX.size + len(tree) + _LEN.size) % _ALIGN)
    if len(tree) > caps.tree_bytes:
        raise _tree_too_large(caps)
    parts = [PREFIX.pack(MAGIC, len(tree)), tree, _LEN.pack(len(encoder.arrays))]
    for code, array in encoder.arrays:
        parts += _array_parts(code, array)
    return b"".join(parts)


def check_prefix(prefix: bytes | memoryview, caps: Caps = Caps()) -> int:
    """The tree length from a message's first ``PREFIX.size`` bytes; refuses a message that is
    not ours or whose tree is over its cap, before the rest of it is read."""
    magic, tree_length = PREFIX.unpack(prefix)
    if magic != MAGIC:
        raise WireError("not a worker message")
    if tree_length > caps.tree_bytes:
        raise _tree_too_large(caps)
    return tree_length


class _Reader:
    def __init__(self, blob: memoryview):
        self.blob, self.at = blob, 0

    def take(self, n: int) -> memoryview:
        if n < 0 or self.at + n > len(self.blob):
            raise WireError("truncated message")
        chunk = self.blob[self.at : self.at + n]
        self.at += n
        return chunk

    def length(self) -> int:
        return _LEN.unpack(self.take(_LEN.size))[0]


def _structure(tree: bytes) -> int:
    """The brackets, commas and colons of ``tree`` outside its strings, without parsing it.

    Escaped backslashes, then escaped quotes, are dropped first (left to right, as JSON pairs
    them), so every quote left opens or closes a string: a byte is outside the strings when an
    even number of quotes comes before it. Where the tree is not valid JSON the count may be
    off, but only past the point where ``json.loads`` stops. Counted in chunks, so the count
    takes a few chunks of memory beyond the copy without escapes.
    """
    bare = np.frombuffer(tree.replace(b"\\\\", b"").replace(b'\\"', b""), dtype=np.uint8)
    count, inside = 0, 0
    for start in range(0, len(bare), _CHUNK):
        chunk = bare[start : start + _CHUNK]
        parity = np.cumsum(chunk == _QUOTE, dtype=np.uint8)
        parity += inside
        parity &= 1
        count += int(np.count_nonzero(_STRUCTURAL[chunk] > parity))
        inside = int(parity[-1])
    return count


def _index(text: str) -> int:
    if len(text) > INDEX_CHARS:
        raise WireError("malformed value")
    return int(text)


def _no_literal(text: str) -> object:
    raise WireError("malformed value")


def _parse_tree(tree: memoryview, caps: Caps) -> object:
    text = bytes(tree)
    if _structure(text) > caps.structure:
        raise WireError(f"the value has more than {caps.nodes} parts")
    return json.loads(text.decode("ascii"), parse_int=_index, parse_float=_no_literal,
                      parse_constant=_no_literal)


def _load_array(reader: _Reader, caps: Caps, budget: int) -> np.ndarray:
    """The next array of the message, holding at most ``budget`` bytes of data."""
    code, order, ndim, nbytes = _ARRAY.unpack(reader.take(_ARRAY.size))
    if code >= len(DTYPES) or order not in (_LITTLE, _BIG) or ndim > _MAX_NDIM:
        raise WireError("array with an invalid header")
    shape = _SHAPES[ndim].unpack(reader.take(_SHAPES[ndim].size))
    dtype = DTYPES[code]
    count = prod(shape)
    if count * dtype.itemsize != nbytes:
        raise WireError("array whose size does not match its data")
    if nbytes > budget:
        raise WireError(f"the arrays are larger than {caps.bytes} bytes in total")
    if count == 0 and _extent(shape) > caps.bytes:
        raise WireError("array with an invalid shape")
    data = reader.take(nbytes)
    reader.take(-nbytes % _ALIGN)
    if count == 0:
        return np.zeros(shape, dtype)
    # A view of the message, whose buffer then lives as long as the array; a copy only when the
    # buffer is read-only (arrays handed to judges and students must be writable).
    flat = np.frombuffer(data, dtype)
    if data.readonly:
        flat = flat.copy()
    if order != _NATIVE:
        flat.byteswap(inplace=True)
    return flat.reshape(shape)


class _Decoder:
    def __init__(self, arrays: list[np.ndarray], caps: Caps):
        self.arrays, self.caps, self.nodes = arrays, caps, 0

    def value(self, node: object, depth: int) -> object:
        self.nodes += 1
        if depth > self.caps.depth + 1 or self.nodes > self.caps.nodes:
            raise WireError("value nested too deeply or with too many parts")
        if node is None or type(node) is bool:
            return node
        if type(node) is not list or not node or type(node[0]) is not str:
            raise WireError("malformed value")
        tag, args = node[0], node[1:]
        if tag == "unsupported" and len(args) == 2 and all(type(a) is str for a in args):
            return Unsupported(args[0][:TYPE_NAME_CHARS], args[1][:DETAIL_CHARS])
        if len(args) != 1:
            raise WireError("malformed value")
        (arg,) = args
        numeric = tag in ("int", "float", "npint", "npfloat")
        if numeric and (type(arg) is not str or len(arg) > NUMBER_CHARS):
            raise WireError("malformed number")
        if tag == "int":
            return int(arg)
        if tag == "float":
            return float(arg)
        if tag == "npfloat":
            return np.float64(float(arg))
        if tag == "npint":
            number = int(arg)
            if not _INT64.min <= number <= _INT64.max:
                return Unsupported("numpy integer", "outside the int64 range")
            return np.int64(number)
        if tag == "npbool" and type(arg) is bool:
            return np.bool_(arg)
        if tag == "str" and type(arg) is str:
            return arg
        if tag in ("list", "tuple") and type(arg) is list:
            items = [self.value(item, depth + 1) for item in arg]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and type(arg) is list:
            result = {}
            for pair in arg:
                if type(pair) is not list or len(pair) != 2 or type(pair[0]) is not str:
                    raise WireError("malformed dict")
                result[pair[0]] = self.value(pair[1], depth + 1)
            return result
        if tag == "array" and type(arg) is int and 0 <= arg < len(self.arrays):
            return self.arrays[arg]
        raise WireError("malformed value")


def decode(blob: bytes | bytearray | memoryview, caps: Caps = Caps()) -> object:
    """Bytes -> plain data, re-validating every type, dtype and size; raises WireError.

    ``blob`` is any buffer (bytes, bytearray, mmap); arrays are views of it when it is writable.
    """
    try:
        view = memoryview(blob).cast("B")
    except TypeError:
        raise WireError("not a worker message") from None
    if len(view) > caps.message_bytes:
        raise WireError("message too large")
    reader = _Reader(view)
    tree_length = check_prefix(reader.take(PREFIX.size), caps)
    try:
        tree = _parse_tree(reader.take(tree_length), caps)
        count = reader.length()
        if count > caps.arrays:
            raise WireError("too many arrays")
        arrays: list[np.ndarray] = []
        budget = caps.bytes
        for _ in range(count):
            arrays.append(_load_array(reader, caps, budget))
            budget -= arrays[-1].nbytes
        if reader.at != len(view):
            raise WireError("trailing bytes")
        return _Decoder(arrays, caps).value(tree, 0)
    except WireError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError, UnicodeError) as exc:
        raise WireError(f"malformed message ({type(exc).__name__})") from None
