"""Process-wide settings of the command line and of the batch's grading processes.

Imported first by `autograder.cli` and by the batch's fork server, before NumPy or jsonschema:

* one BLAS thread per process (an explicit setting is kept): the grader multiplies small
  matrices, where OpenBLAS's threads only contend; an ``initialization`` grade took 0.26-0.5 s
  with two threads on two cores, 0.16 s with one;
* jsonschema without its optional ``rfc3987_syntax`` (pulled in by Jupyter's packages), which
  builds a Lark grammar at import, 0.7 s of every command that reads a notebook with nbformat.
  It serves only the ``iri`` formats of a FormatChecker; neither nbformat, nbgrader nor our
  schemas check formats.
"""

import os
import sys

for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
if "jsonschema" not in sys.modules:
    sys.modules.setdefault("rfc3987_syntax", None)  # `import rfc3987_syntax` raises ImportError
