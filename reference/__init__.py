"""NumPy reference implementations for the optimization and initialization unit.

Every graded name of the course lives in :mod:`reference.optimizers` or
:mod:`reference.initializers`. Functions here are pure (they never mutate their inputs), work in
float64 and use the course's notation (CS230 / deeplearning.ai conventions).
"""
