"""Small seeded 2-D classification sets, in the course's layout.

Every function returns ``(X, Y)`` with X of shape (2, m), one example per column, and Y of shape
(1, m) holding the labels 0.0 and 1.0; both float64. The same seed gives the same data.
"""

from __future__ import annotations

import numpy as np


def _labelled(
    class0: np.ndarray, class1: np.ndarray, noise: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stack two (2, m_k) point clouds, add N(0, noise^2) jitter and shuffle the columns."""
    X = np.concatenate([class0, class1], axis=1)
    Y = np.concatenate([np.zeros(class0.shape[1]), np.ones(class1.shape[1])])[np.newaxis, :]
    X = X + noise * rng.standard_normal(X.shape)
    permutation = rng.permutation(X.shape[1])
    return X[:, permutation], Y[:, permutation]


def two_moons(m: int = 300, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles.

    Class 0 (floor(m/2) points): (cos t, sin t) for t evenly spaced in [0, pi].
    Class 1 (the other ceil(m/2)): (1 - cos t, 1/2 - sin t), the same arc flipped and shifted.
    Each coordinate then gets N(0, noise^2) added.
    """
    rng = np.random.default_rng(seed)
    m0 = m // 2
    t0, t1 = np.linspace(0.0, np.pi, m0), np.linspace(0.0, np.pi, m - m0)
    upper = np.stack([np.cos(t0), np.sin(t0)])
    lower = np.stack([1.0 - np.cos(t1), 0.5 - np.sin(t1)])
    return _labelled(upper, lower, noise, rng)


def circles(
    m: int = 300, noise: float = 0.05, factor: float = 0.5, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles.

    Class 0 (floor(m/2) points): the unit circle (cos t, sin t), t evenly spaced in [0, 2 pi).
    Class 1 (the other ceil(m/2)): the circle of radius ``factor`` (0 < factor < 1).
    Each coordinate then gets N(0, noise^2) added.
    """
    rng = np.random.default_rng(seed)
    m0 = m // 2
    t0 = np.linspace(0.0, 2 * np.pi, m0, endpoint=False)
    t1 = np.linspace(0.0, 2 * np.pi, m - m0, endpoint=False)
    outer = np.stack([np.cos(t0), np.sin(t0)])
    inner = factor * np.stack([np.cos(t1), np.sin(t1)])
    return _labelled(outer, inner, noise, rng)
