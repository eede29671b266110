"""Plain data on the wire: a JSON tree plus arrays as .npy blobs; never pickle.

`encode` only ever calls methods of exact builtin and numpy types, so a hostile value cannot run
code through it.  `decode` trusts nothing: the bytes may come from a fully compromised worker.
"""

from __future__ import annotations

import io
import json
import struct
from dataclasses import dataclass

import numpy as np
from numpy.lib import format as npy

from autograder.sandbox.steps import Unsupported

MAGIC = b"AGW1"
ARRAY_KINDS = "fiub"
_FLOAT_SCALARS = (np.float16, np.float32, np.float64, np.longdouble)
_INT_SCALARS = (np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64)
_INT64 = np.iinfo(np.int64)
_LEN = struct.Struct("<Q")


class WireError(Exception):
    """The value cannot be encoded within the caps, or the bytes are not a valid message."""


@dataclass(frozen=True)
class Caps:
    depth: int = 32
    nodes: int = 100_000
    arrays: int = 256
    bytes: int = 64 << 20


def _type_name(obj: object) -> str:
    name = type.__dict__["__name__"].__get__(type(obj))
    return name[:100]


class _Encoder:
    def __init__(self, caps: Caps):
        self.caps = caps
        self.nodes = 0
        self.size = 0
        self.arrays: list[np.ndarray] = []

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
        if dtype.kind not in ARRAY_KINDS or dtype.fields is not None or dtype.subdtype:
            return ["unsupported", "ndarray", f"dtype {dtype.str}"]
        if len(self.arrays) >= self.caps.arrays:
            raise WireError(f"the value holds more than {self.caps.arrays} arrays")
        self._count(x.nbytes)
        self.arrays.append(x)
        return ["array", len(self.arrays) - 1]


def encode(value: object, caps: Caps = Caps()) -> bytes:
    """Plain data -> bytes: MAGIC, JSON tree, then each array as a length-prefixed .npy blob."""
    encoder = _Encoder(caps)
    tree = json.dumps(encoder.tree(value, 0), ensure_ascii=True, allow_nan=False).encode()
    parts = [MAGIC, _LEN.pack(len(tree)), tree, _LEN.pack(len(encoder.arrays))]
    for array in encoder.arrays:
        buffer = io.BytesIO()
        npy.write_array(buffer, array, allow_pickle=False)
        parts += [_LEN.pack(buffer.tell()), buffer.getvalue()]
    return b"".join(parts)


class _Reader:
    def __init__(self, blob: bytes):
        self.blob, self.at = blob, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.blob):
            raise WireError("truncated message")
        chunk = self.blob[self.at : self.at + n]
        self.at += n
        return chunk

    def length(self) -> int:
        return _LEN.unpack(self.take(_LEN.size))[0]


def _load_array(blob: bytes, caps: Caps) -> np.ndarray:
    stream = io.BytesIO(blob)
    version = npy.read_magic(stream)
    if version == (1, 0):
        shape, _, dtype = npy.read_array_header_1_0(stream, max_header_size=10_000)
    elif version == (2, 0):
        shape, _, dtype = npy.read_array_header_2_0(stream, max_header_size=10_000)
    else:
        raise WireError(f"unsupported .npy version {version}")
    if not isinstance(dtype, np.dtype) or dtype.kind not in ARRAY_KINDS or dtype.fields is not None:
        raise WireError("array of a type that is not numeric")
    if dtype.subdtype is not None or dtype.itemsize > 16:
        raise WireError("array of a type that is not numeric")
    if type(shape) is not tuple or not all(type(n) is int and 0 <= n <= caps.bytes for n in shape):
        raise WireError("array with an invalid shape")
    count = 1
    for n in shape:
        count *= n
    if count * dtype.itemsize != len(blob) - stream.tell() or count * dtype.itemsize > caps.bytes:
        raise WireError("array whose size does not match its data")
    stream.seek(0)
    array = np.load(stream, allow_pickle=False)
    if type(array) is not np.ndarray or array.shape != shape or array.dtype != dtype:
        raise WireError("array that does not match its header")
    return array if dtype.isnative else array.astype(dtype.newbyteorder("="))


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
            return Unsupported(args[0][:100], args[1][:200])
        if len(args) != 1:
            raise WireError("malformed value")
        (arg,) = args
        if tag in ("int", "float", "npint", "npfloat") and (type(arg) is not str or len(arg) > 5000):
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


def decode(blob: bytes, caps: Caps = Caps()) -> object:
    """Bytes -> plain data, re-validating every type, dtype and size; raises WireError."""
    if type(blob) is not bytes or len(blob) > caps.bytes + (1 << 20) + 64 * caps.nodes:
        raise WireError("message too large")
    reader = _Reader(blob)
    if reader.take(len(MAGIC)) != MAGIC:
        raise WireError("not a worker message")
    try:
        tree = json.loads(reader.take(reader.length()).decode("ascii"))
        count = reader.length()
        if count > caps.arrays:
            raise WireError("too many arrays")
        arrays = [_load_array(reader.take(reader.length()), caps) for _ in range(count)]
        if reader.at != len(blob):
            raise WireError("trailing bytes")
        return _Decoder(arrays, caps).value(tree, 0)
    except WireError:
        raise
    except (ValueError, TypeError, RecursionError, OverflowError, UnicodeError, SyntaxError) as exc:
        raise WireError(f"malformed message ({type(exc).__name__})") from None
