"""Fixtures every test module may use: ``released`` (the course generated once per session) and
``course`` (a copy of it with a gradebook, per test), from `support.batch`. A module that
defines a fixture of the same name uses its own."""

from support.batch import course, released

__all__ = ["course", "released"]
