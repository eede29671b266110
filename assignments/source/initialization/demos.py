"""Demo machinery for the initialization notebook (nothing here is graded).

Each demo takes your own initializers from the notebook and pushes data through the network they
build. If one of your functions is not written yet, the demo says so instead of failing. Plots
need matplotlib; without it you get the table only.
"""

from __future__ import annotations

import numpy as np
from demo_support import demo, print_table, pyplot, student

# ---------------------------------------------------------------------------------------------
# Data and a forward pass


def circles(m: int = 400, seed: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Two noisy concentric circles: X of shape (2, m), labels Y of shape (1, m) (1 = inner)."""
    generator = np.random.default_rng(seed)
    inner = (np.arange(m) % 2).astype(np.float64)
    radius = np.where(inner == 1, 0.5, 1.0)
    angle = generator.uniform(0.0, 2 * np.pi, m)
    X = radius * np.stack([np.cos(angle), np.sin(angle)]) + 0.08 * generator.standard_normal((2, m))
    return X, inner[np.newaxis, :]


def _forward(
    parameters: dict[str, np.ndarray], X: np.ndarray
) -> tuple[list[np.ndarray], np.ndarray]:
    """Hidden ReLU activations [a1, ..., a(L-1)] and the logits z[L] of the sigmoid output."""
    count = len(parameters) // 2
    hidden, current = [], np.asarray(X, dtype=np.float64)
    for index in range(1, count + 1):
        z = np.asarray(parameters[f"W{index}"]) @ current + np.asarray(parameters[f"b{index}"])
        if index == count:
            return hidden, z
        current = np.maximum(z, 0.0)
        hidden.append(current)
    raise ValueError("the network has no layers")


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def _cross_entropy(logits: np.ndarray, Y: np.ndarray) -> float:
    """Mean of -y log(sigmoid(z)) - (1 - y) log(1 - sigmoid(z)), computed without overflow."""
    return float(np.mean(np.logaddexp(0.0, logits) - Y * logits))


CIRCLES_LAYERS = [2, 10, 5, 1]


# ---------------------------------------------------------------------------------------------
# Demo 1: zeros never break the symmetry


@demo
def symmetry(initialize_parameters_zeros, examples: int = 4) -> None:
    """Every unit of a hidden layer computes the same number for every example."""
    X, Y = circles()
    parameters = student(initialize_parameters_zeros, CIRCLES_LAYERS)
    hidden, logits = _forward(parameters, X)
    rows = []
    for index, layer in enumerate(hidden, start=1):
        spread = float(np.max(np.ptp(layer, axis=0)))
        rows.append([f"layer {index}", layer.shape[0], str(np.round(layer[:, 0], 3)), spread])
    print(f"network {CIRCLES_LAYERS}, initialized with your initialize_parameters_zeros")
    print_table(["", "units", "activations of example 1", "largest spread across units"], rows)
    prediction = _sigmoid(logits[0, :examples])
    print(f"\npredictions for the first {examples} examples: {np.round(prediction, 3)}")
    print(f"cost {_cross_entropy(logits, Y):.4f} (log 2 = {np.log(2):.4f}: a coin toss)")
    print(
        "Identical units receive identical gradients, so after any number of updates they are "
        "still identical: the layer behaves like a single unit."
    )


# ---------------------------------------------------------------------------------------------
# Demo 2: large random weights saturate the output and blow up the cost


@demo
def large_weights(initialize_parameters_random) -> None:
    """Initial cost and predicted probabilities with W ~ N(0, 1) * 10, and the same draw
    rescaled."""
    X, Y = circles()
    large = student(initialize_parameters_random, CIRCLES_LAYERS)
    rescaled = {}
    for index in range(1, len(CIRCLES_LAYERS)):
        fan_in = CIRCLES_LAYERS[index - 1]
        weights = np.asarray(large[f"W{index}"], dtype=np.float64)
        rescaled[f"W{index}"] = weights / 10 * np.sqrt(2.0 / fan_in)
        rescaled[f"b{index}"] = np.asarray(large[f"b{index}"], dtype=np.float64)
    drawn = {"random (x10)": large, "same draw, variance 2/n": rescaled}
    probabilities, rows = {}, []
    for label, parameters in drawn.items():
        logits = _forward(parameters, X)[1]
        probabilities[label] = _sigmoid(logits).ravel()
        saturated = float(np.mean(np.abs(logits) > np.log(1e6)))
        rows.append([label, _cross_entropy(logits, Y), 100 * saturated])
    print(f"network {CIRCLES_LAYERS} on {X.shape[1]} examples, before any training")
    print_table(["initialization", "initial cost", "% of outputs saturated"], rows)
    print(
        "A saturated sigmoid that is confidently wrong costs about |z| for that example; "
        "with weights this large |z| runs into the hundreds, so the cost explodes."
    )

    plt = pyplot()
    if plt is None:
        return
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.2), sharey=True)
    for axis, (label, probability) in zip(axes, probabilities.items()):
        axis.hist(probability, bins=np.linspace(0, 1, 41), color="tab:blue")
        axis.set_title(f"{label}: predicted probabilities")
        axis.set_xlabel("sigmoid output")
    axes[0].set_ylabel("examples")
    figure.tight_layout()
    plt.show()


# ---------------------------------------------------------------------------------------------
# Demo 3: every W = 1.5 I or every W = 0.5 I


@demo
def identity_scaling(depth: int = 30) -> None:
    """a[l] = W a[l-1] with W = scale * I: the activations grow or shrink like scale ** l."""
    start = np.array([[1.0], [1.0]])
    norms = {}
    for scale in (1.5, 1.0, 0.5):
        weights, current, history = scale * np.eye(2), start, []
        for _ in range(depth):
            current = weights @ current
            history.append(float(np.linalg.norm(current)))
        norms[scale] = np.array(history)
    shown = [0, 4, 9, 19, depth - 1]
    print_table(
        ["layer", "||a|| with 1.5 I", "||a|| with 1.0 I", "||a|| with 0.5 I"],
        [[l + 1, norms[1.5][l], norms[1.0][l], norms[0.5][l]] for l in shown],
    )
    plt = pyplot()
    if plt is None:
        return
    figure, axis = plt.subplots(figsize=(7, 3.5))
    for scale, history in norms.items():
        axis.plot(np.arange(1, depth + 1), history, marker=".", label=f"every W = {scale} I")
    axis.set_yscale("log")
    axis.set_xlabel("layer l")
    axis.set_ylabel("size of the activation ||a[l]||")
    axis.set_title("Exploding and vanishing signals in a deep linear network")
    axis.legend()
    figure.tight_layout()
    plt.show()


# ---------------------------------------------------------------------------------------------
# Demo 4: per-layer variance with Xavier and He


@demo
def variance_by_layer(
    initialize_parameters_xavier,
    initialize_parameters_he,
    activation_variances,
    width: int = 200,
    depth: int = 15,
    examples: int = 500,
) -> None:
    """Var(a[l]) for Xavier + tanh, He + ReLU and Xavier + ReLU, layer by layer."""
    X = np.random.default_rng(7).standard_normal((width, examples))
    layers_dims = [width] * (depth + 1)
    settings = {
        "Xavier + tanh": (initialize_parameters_xavier, "tanh"),
        "He + ReLU": (initialize_parameters_he, "relu"),
        "Xavier + ReLU": (initialize_parameters_xavier, "relu"),
    }
    variances = {}
    for label, (initializer, activation) in settings.items():
        parameters = student(initializer, layers_dims)
        variances[label] = np.asarray(
            student(activation_variances, X, parameters, activation), dtype=np.float64
        )
    shown = [0, 1, 4, 9, depth - 1]
    print(f"{depth} layers of {width} units, input variance {np.var(X):.3f}")
    print_table(
        ["layer"] + list(variances),
        [[l + 1] + [float(v[l]) if l < v.size else "-" for v in variances.values()] for l in shown],
    )
    plt = pyplot()
    if plt is None:
        return
    figure, axis = plt.subplots(figsize=(7, 3.8))
    for label, values in variances.items():
        axis.plot(np.arange(1, values.size + 1), values, marker="o", markersize=3, label=label)
    axis.set_yscale("log")
    axis.set_xlabel("layer l")
    axis.set_ylabel("Var(a[l])")
    axis.set_title("Variance of the activations, layer by layer")
    axis.legend()
    figure.tight_layout()
    plt.show()
