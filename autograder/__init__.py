"""Tamper-proof autograder for the optimization and initialization unit.

Keep this module import-light: the sandbox worker imports the package before it locks itself in.
"""

__version__ = "0.1.0"
