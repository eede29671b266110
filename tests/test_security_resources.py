"""A compromised worker cannot make the grading process use much more memory or time than an
honest one: forged frames written straight to the progress fd cost only the step that wrote them.

Each run grades the same three-step plan (helpers, the attack, a healthy call) in a fresh Python
process and reports that process's own peak RSS (``ru_maxrss`` of ``RUSAGE_SELF``: the worker is
a child and is not counted) and wall time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder.sandbox import Exec, Limits, run_steps, wire

REPOSITORY = Path(__file__).resolve().parents[1]
#: How much more than an honest run of the same plan the grading process may use.
EXTRA_MIB = 48
EXTRA_SECONDS = 3.0

_MEASURE = """
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from autograder.sandbox import Call, Exec, Limits, run_steps

helpers = Exec("helpers", "x = 41\\ndef ok():\\n    return x + 1\\n")
plan = [helpers, Exec("attack", sys.argv[2]), Call("after", "ok")]
started = time.monotonic()
results, _ = run_steps(plan, Limits(step_seconds=10.0, total_seconds=40.0))
print(json.dumps({
    "seconds": time.monotonic() - started,
    "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "results": [[r.ok, r.error, r.value] for r in results],
}))
"""

#: Student code that writes frames to the grader's progress fd (argv[1] of the worker); the
#: attack is step 1 of its session, so a forged "done" frame names position 1.
_FORGE = """
import os, struct, sys
fd = int(sys.argv[1])

def frame(kind, position, payload, length=None):
    size = len(payload) if length is None else length
    return struct.pack("<cIQ", kind, position, size) + payload

def message(tree):
    return {magic!r} + struct.pack("<Q", len(tree)) + tree + struct.pack("<Q", 0)

data = memoryview({frame})
while data:
    data = data[os.write(fd, data):]
"""

FORGED = {
    "claims 2**63 bytes": 'frame(b"D", 1, b"", length=2**63)',
    "60 MB flat tree": 'frame(b"D", 1, message(b"[" + b"0," * 30_000_000 + b"0]"))',
    "60 MB deep tree": 'frame(b"D", 1, message(b"[" * 30_000_000 + b"]" * 30_000_000))',
    "7 MB of empty lists": 'frame(b"D", 1, message(b"[" + b"[]," * 2_300_000 + b"[]]"))',
    "60 MB isolation report": 'frame(b"I", 0, b"{" * 60_000_000)',
}


def measure(source: str) -> dict:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(REPOSITORY), source],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def honest() -> dict:
    run = measure("y = 1")
    assert [ok for ok, _, _ in run["results"]] == [True, True, True]
    return run


@pytest.mark.parametrize("forged", FORGED, ids=list(FORGED))
def test_a_forged_frame_costs_its_step_and_no_memory_or_time(honest, forged):
    run = measure(_FORGE.format(frame=FORGED[forged], magic=wire.MAGIC))
    (helpers_ok, _, _), (attack_ok, error, _), (after_ok, _, value) = run["results"]
    assert helpers_ok and not attack_ok and "malformed" in error
    assert after_ok and value == 42
    assert run["peak_mib"] < honest["peak_mib"] + EXTRA_MIB, (run["peak_mib"], honest["peak_mib"])
    assert run["seconds"] < honest["seconds"] + EXTRA_SECONDS


def test_a_flood_on_stdout_does_not_keep_the_grader_from_its_timeout():
    flood = Exec("flood", "import os\nchunk = b'x' * 65536\nwhile True:\n    os.write(1, chunk)\n")
    results, _ = run_steps([flood], Limits(step_seconds=1.0, total_seconds=10.0))
    assert not results[0].ok and results[0].error == "timed out after 1 s"
    assert len(results[0].output) <= Limits().output_bytes + 100


# --- the bounds, on the bytes themselves -----------------------------------------------------


CAPS = wire.Caps()


def _message(tree: bytes) -> bytes:
    return b"".join([wire.MAGIC, len(tree).to_bytes(8, "little"), tree, bytes(8)])


def test_decode_refuses_a_tree_larger_than_its_own_cap_before_parsing_it():
    tree = b'["str","' + b"x" * CAPS.tree_bytes + b'"]'
    with pytest.raises(wire.WireError, match="tree"):
        wire.check_prefix(_message(tree)[: wire.PREFIX.size], CAPS)
    with pytest.raises(wire.WireError, match="tree"):
        wire.decode(_message(tree), CAPS)


def test_decode_refuses_more_structure_than_the_node_cap_allows():
    caps = wire.Caps(nodes=1000)
    with pytest.raises(wire.WireError, match="parts"):
        wire.decode(_message(b"[" + b"[]," * 3000 + b"[]]"), caps)


def test_brackets_and_commas_inside_strings_are_not_structure():
    text = "[0, 0], {a: b}, " * 1000
    caps = wire.Caps(nodes=100)
    assert wire.decode(wire.encode(text, caps), caps) == text


@pytest.mark.parametrize("value", [
    {f"k{i}": {} for i in range(1999)},  # 6 brackets and commas per part: the most there is
    [[i, float(i), None, (True, "s")] for i in range(240)],
], ids=["dict-of-dicts", "mixed"])
def test_every_honest_value_within_the_node_cap_decodes(value):
    caps = wire.Caps(nodes=2000)
    assert wire.decode(wire.encode(value, caps), caps) == value


def test_the_encoder_refuses_a_tree_the_decoder_would_refuse():
    caps = wire.Caps(nodes=10)
    with pytest.raises(wire.WireError, match="tree"):
        wire.encode({"k" * caps.tree_bytes: 1}, caps)


def test_arrays_larger_than_the_byte_cap_in_total_are_refused():
    import numpy as np

    blob = wire.encode([np.zeros(100)] * 3)  # 800 bytes each, 2400 in all
    with pytest.raises(wire.WireError, match="larger than"):
        wire.decode(blob, wire.Caps(bytes=1000))


def test_number_literals_in_the_tree_are_refused():
    for literal in (b"NaN", b"1e999", b"1" * 5000):
        with pytest.raises(wire.WireError):
            wire.decode(_message(b'["list",[' + literal + b"]]"), CAPS)


def test_decoded_arrays_are_writable_and_native():
    import numpy as np

    array = np.arange(6, dtype=">f8").reshape(2, 3)
    decoded = wire.decode(bytearray(wire.encode({"a": array, "f": np.asfortranarray(array)})))
    for got in decoded.values():
        assert got.flags.writeable and got.dtype == np.float64 and got.dtype.isnative
        assert np.array_equal(got, array)
        got += 1
