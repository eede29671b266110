"""The wire format's arrays: every allowed array comes back exactly, and bytes from a compromised
worker either decode or raise WireError, never costing more memory than was sent.

Messages are forged here from the layout the module docstring documents, not from wire's own
structs, so these tests also pin the format down.
"""

from __future__ import annotations

import json
import struct
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from autograder.sandbox import Unsupported, wire

FLOAT64 = wire.DTYPES.index(np.dtype(np.float64))
INT8 = wire.DTYPES.index(np.dtype(np.int8))
#: What a refused forgery may cost the reader beyond the message itself.
SMALL_ALLOCATION = 1 << 20
CAPS = wire.Caps()


def _array(code: int, shape: tuple[int, ...], data: bytes = b"", *, order: int = 0,
           nbytes: int | None = None) -> bytes:
    """One array as the docstring lays it out; ``nbytes`` states a data length other than the
    one sent."""
    header = struct.pack("<BBB5xQ", code, order, len(shape),
                         len(data) if nbytes is None else nbytes)
    dims = struct.pack(f"<{len(shape)}Q", *shape) + bytes(len(shape) % 2 * 8)
    return header + dims + data + bytes(-len(data) % 16)


def _message(tree: object, *arrays: bytes, count: int | None = None) -> bytes:
    text = json.dumps(tree).encode()
    count = len(arrays) if count is None else count
    return b"".join([wire.MAGIC, struct.pack("<Q", len(text)), text, struct.pack("<Q", count),
                     *arrays])


def _peak_while(function, *args) -> int:
    """Peak bytes traced while ``function(*args)`` runs (numpy reports its data buffers)."""
    tracemalloc.start()
    try:
        function(*args)
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


# --- round trips -----------------------------------------------------------------------------

ALLOWED = [np.dtype(np.bool_), *(np.dtype(t).newbyteorder(order) for t in (
    np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64,
    np.float16, np.float32, np.float64, np.longdouble) for order in "<>")]


def _views(array: np.ndarray) -> st.SearchStrategy[np.ndarray]:
    """The array itself or a view of it that is not C-contiguous (when it has any extent)."""
    views = [array, array.T]
    if array.ndim:
        views += [array[::2], array[::-1], array[..., ::2]]
    return st.sampled_from(views)


arrays = st.sampled_from(ALLOWED).flatmap(
    lambda dtype: hnp.arrays(dtype, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0,
                                                     max_side=4))
).flatmap(_views)

values = st.recursive(
    arrays | st.floats() | st.integers(-10, 10) | st.none(),
    lambda children: st.lists(children, max_size=3) | st.tuples(children, children)
    | st.dictionaries(st.text(max_size=3), children, max_size=3),
    max_leaves=8,
)


def _same(sent: object, got: object) -> bool:
    """Equal in type, structure, dtype, shape and every byte of every array."""
    if type(sent) is np.ndarray:
        native = sent.astype(sent.dtype.newbyteorder("="))
        return (type(got) is np.ndarray and got.dtype == native.dtype and got.dtype.isnative
                and got.shape == sent.shape and got.tobytes() == native.tobytes())
    if type(sent) in (list, tuple):
        return (type(got) is type(sent) and len(got) == len(sent)
                and all(_same(a, b) for a, b in zip(sent, got)))
    if type(sent) is dict:
        return (type(got) is dict and list(got) == list(sent)
                and all(_same(sent[k], got[k]) for k in sent))
    if type(sent) is float:  # as exact as the tree's float literals: -0.0, but any nan
        return type(got) is float and repr(got) == repr(sent)
    return type(got) is type(sent) and got == sent


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values)
def test_every_allowed_array_round_trips_exactly_inside_any_container(value):
    blob = wire.encode(value)
    assert _same(value, wire.decode(blob))
    assert _same(value, wire.decode(bytearray(blob)))


@given(arrays)
def test_decoded_arrays_are_writable_views_of_a_writable_message_on_16_byte_boundaries(array):
    buffer = bytearray(wire.encode([array, array]))
    start = np.frombuffer(buffer, np.uint8).ctypes.data
    for got in wire.decode(buffer):
        assert got.flags.writeable and got.flags.c_contiguous
        if got.size:
            assert np.shares_memory(got, np.frombuffer(buffer, np.uint8))
            assert (got.ctypes.data - start) % 16 == 0


def test_arrays_from_a_read_only_message_are_writable_copies():
    blob = wire.encode({"a": np.arange(6.0).reshape(2, 3), "b": np.arange(3, dtype=">i4")})
    for got in wire.decode(blob).values():
        assert got.flags.writeable and not np.shares_memory(got, np.frombuffer(blob, np.uint8))
        got += 1
    assert wire.decode(blob)["a"][0, 0] == 0


def test_the_bytes_are_those_the_docstring_describes():
    array = np.arange(6.0).reshape(2, 3)
    assert wire.encode(array).endswith(_array(FLOAT64, (2, 3), array.tobytes()))
    assert wire.encode(array.T).endswith(_array(FLOAT64, (3, 2), array.T.copy().tobytes()))
    big = array.astype(">f8")
    assert wire.encode(big).endswith(_array(FLOAT64, (2, 3), big.tobytes(), order=1))
    assert wire.encode(np.array(7.0)).endswith(_array(FLOAT64, (), np.float64(7).tobytes()))


def test_a_message_forged_from_the_layout_decodes():
    data = np.arange(3, dtype=np.int8).tobytes()
    got = wire.decode(_message(["list", [["array", 0], ["array", 1]]],
                               _array(INT8, (3,), data), _array(FLOAT64, (0, 4))))
    assert got[0].tolist() == [0, 1, 2] and got[1].shape == (0, 4)


def test_the_longest_honest_message_is_within_message_bytes():
    caps = wire.Caps(nodes=10, arrays=4, bytes=128)
    value = [np.ones((1,) * 64, np.int8), np.ones((1,) * 63, np.int8), np.zeros(7), np.ones(())]
    assert len(wire.encode(value, caps)) <= caps.message_bytes


# --- what encode refuses ---------------------------------------------------------------------

@pytest.mark.parametrize("array", [
    np.array([object()]), np.array([1j]), np.array(["a"]), np.array([b"a"]),
    np.array(["2024-01-01"], dtype="datetime64[D]"), np.zeros(2, dtype=[("x", "f8")]),
    np.zeros(2, dtype=(np.int32, {"low": (np.int16, 0), "high": (np.int16, 2)})),
], ids=lambda a: a.dtype.str)
def test_arrays_of_other_dtypes_are_unsupported(array):
    got = wire.decode(wire.encode([array]))[0]
    assert type(got) is Unsupported and got.type_name == "ndarray"


def test_encode_calls_nothing_of_an_ndarray_subclass():
    class Hostile(np.ndarray):
        def tobytes(self, *args, **kwargs):
            raise AssertionError("called")

        def __array__(self, *args, **kwargs):
            raise AssertionError("called")

        @property
        def flags(self):
            raise AssertionError("called")

    got = wire.decode(wire.encode([np.zeros(3).view(Hostile)]))[0]
    assert type(got) is Unsupported and got.detail == "ndarray subclass"


def test_encode_refuses_an_empty_array_the_decoder_would_refuse():
    with pytest.raises(wire.WireError, match="elements"):
        wire.encode(np.zeros((0, 2000)), wire.Caps(bytes=1000))
    assert wire.decode(wire.encode(np.zeros((0, 1000)), wire.Caps(bytes=1000))).shape == (0, 1000)


# --- what decode refuses ---------------------------------------------------------------------

def _refused(blob: bytes, reason: str, caps: wire.Caps = CAPS) -> None:
    with pytest.raises(wire.WireError, match=reason):
        wire.decode(blob, caps)


def _one(array: bytes) -> bytes:
    """A message whose value is its one array."""
    return _message(["array", 0], array)


def test_a_message_of_the_previous_format_is_refused_as_not_ours():
    _refused(b"AGW1" + wire.encode([np.zeros(2)])[4:], "not a worker message")


@pytest.mark.parametrize("code", [len(wire.DTYPES), 17, 255])
def test_an_unknown_dtype_code_is_refused(code):
    _refused(_one(_array(code, (1,), bytes(8))), "invalid header")


@pytest.mark.parametrize("order", [2, 255])
def test_an_unknown_byte_order_is_refused(order):
    _refused(_one(_array(FLOAT64, (1,), bytes(8), order=order)), "invalid header")


def test_more_than_64_dimensions_are_refused():
    assert wire.decode(_one(_array(INT8, (1,) * 64, b"\x05"))).ndim == 64
    _refused(_one(_array(INT8, (1,) * 65, b"\x05")), "invalid header")


@pytest.mark.parametrize("shape, nbytes", [
    ((2**62, 4), 0),  # 2**64 int8 elements: 0 bytes in 64-bit arithmetic
    ((2**32, 2**32, 2**32), 0),
    ((2**63 + 1, 2), 2),  # 2 * (2**63 + 1) is 2 modulo 2**64
])
def test_a_shape_whose_size_overflows_64_bits_is_refused(shape, nbytes):
    _refused(_one(_array(INT8, shape, bytes(nbytes))), "does not match", wire.Caps(bytes=1 << 62))


@pytest.mark.parametrize("shape", [(0, 2**40), (2**63, 0, 2**63), (0,) + (2**20,) * 10])
def test_an_empty_shape_with_a_huge_extent_is_refused(shape):
    _refused(_one(_array(FLOAT64, shape)), "invalid shape", wire.Caps(bytes=1 << 30))


@pytest.mark.parametrize("nbytes", [0, 8, 24, 40, 2**64 - 1])
def test_a_data_length_other_than_the_shape_says_is_refused(nbytes):
    _refused(_one(_array(FLOAT64, (4,), bytes(32), nbytes=nbytes)), "does not match")


def test_data_shorter_than_its_header_says_is_refused_as_truncated():
    _refused(_one(_array(FLOAT64, (4,), bytes(8), nbytes=32)), "truncated")


def test_more_arrays_than_the_cap_are_refused():
    blob = wire.encode([np.zeros(1)] * 3)
    assert len(wire.decode(blob, wire.Caps(arrays=3))) == 3
    _refused(blob, "too many arrays", wire.Caps(arrays=2))
    _refused(_message(["list", []], count=2**63), "too many arrays")


def test_an_array_over_the_byte_cap_is_refused():
    blob = wire.encode(np.zeros(125))  # 1000 bytes
    assert wire.decode(blob, wire.Caps(bytes=1000)).size == 125
    _refused(blob, "larger than 999 bytes", wire.Caps(bytes=999))


def test_a_huge_forged_shape_allocates_nothing_even_when_the_caps_would_allow_it():
    caps = wire.Caps(bytes=1 << 50, arrays=1 << 20)  # the worker's caps for its plan
    blob = _one(_array(FLOAT64, (2**20, 2**20), bytes(8), nbytes=2**43))
    peak = _peak_while(_refused, blob, "truncated", caps)
    assert peak < SMALL_ALLOCATION, peak


def test_trailing_bytes_after_the_last_array_are_refused():
    _refused(wire.encode(np.zeros(2)) + bytes(16), "trailing")


# --- anything a compromised worker may send --------------------------------------------------

def _decodes_or_refuses(blob: bytes | bytearray) -> None:
    """decode returns or raises WireError, and allocates at most what it was sent (plus the tree
    parse's small change)."""
    def decode():
        try:
            wire.decode(blob)
        except wire.WireError:
            pass

    peak = _peak_while(decode)
    assert peak < 4 * len(blob) + SMALL_ALLOCATION, (peak, len(blob))


mutations = st.lists(st.tuples(st.integers(0, 2**16), st.integers(0, 255)), min_size=1,
                     max_size=8)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(values, mutations, st.integers(0, 2**16), st.booleans())
def test_a_mutated_or_truncated_message_decodes_or_raises_wire_error(value, changes, cut, writable):
    blob = bytearray(wire.encode(value))
    for at, byte in changes:
        blob[at % len(blob)] = byte
    blob = blob[: len(blob) - cut % (len(blob) + 1)]
    _decodes_or_refuses(blob if writable else bytes(blob))


u64 = st.integers(0, 2**64 - 1) | st.integers(0, 64) | st.sampled_from([2**63, 2**32, 2**64 - 1])


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 255), st.integers(0, 3), st.lists(u64, max_size=70), st.binary(max_size=64),
       st.none() | u64)
def test_a_forged_header_decodes_to_what_was_sent_or_raises_wire_error(code, order, shape, data,
                                                                        nbytes):
    blob = _message(["array", 0], _array(code, tuple(shape), data, order=order, nbytes=nbytes))
    try:
        got = wire.decode(blob)
    except wire.WireError:
        return
    assert got.shape == tuple(shape) and got.dtype == wire.DTYPES[code]
    # The message holds the data and then its padding; a forged length may take some of the
    # padding as data (bytes that are there), never more than the message holds.
    held = data + bytes(-len(data) % 16)
    sent = held[: got.nbytes]
    assert got.nbytes == (len(data) if nbytes is None else nbytes) == len(sent)
    assert got.tobytes() == (
        sent if order == 0
        else np.frombuffer(sent, got.dtype.newbyteorder(">")).astype(got.dtype).tobytes())
    _decodes_or_refuses(blob)
