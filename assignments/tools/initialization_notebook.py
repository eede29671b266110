"""Text and solutions of the `initialization` source notebook."""

from string import Template

from notebook_builder import Demo, Exercise, Markdown

ASSIGNMENT = "initialization"

#: What the four initializer exercises share: the signature and the docstring but its first line.
INITIALIZER = Template('''
def initialize_parameters_$name(layers_dims):
    """$summary

    Arguments:
    layers_dims -- list of layer widths [n_0, n_1, ..., n_L]

    Returns:
    parameters -- dict of W1, b1, ..., WL, bL
    """
    ### BEGIN SOLUTION
$body
    return parameters
    ### END SOLUTION
''')

#: The body of Xavier's and He's solutions: the same but for the gain in Var(W[l]) = gain / n[l-1].
FAN_IN_SCALED = Template('''
    rng = np.random.default_rng()
    parameters = {}
    for l in range(1, len(layers_dims)):
        fan_in = layers_dims[l - 1]
        shape = (layers_dims[l], fan_in)
        parameters["W" + str(l)] = rng.standard_normal(shape) * np.sqrt($gain.0 / fan_in)
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
''')


def initializer(name: str, points: int, summary: str, body: str) -> Exercise:
    """The exercise initialize_parameters_<name>: ``body`` is the solution, indented as in it."""
    solution = INITIALIZER.substitute(name=name, summary=summary, body=body.strip("\n"))
    return Exercise(f"initialize_parameters_{name}", points, solution)


def fan_in_initializer(method: str, gain: int) -> Exercise:
    """Xavier's (gain 1) or He's (gain 2) exercise: W[l] ~ N(0, gain / n[l-1]), 2 points."""
    summary = f"{method} initialization: W[l] ~ N(0, {gain} / n[l-1]), biases zero."
    return initializer(method.lower(), 2, summary, FAN_IN_SCALED.substitute(gain=gain))


PARTS = [
    Markdown(r"""
# Initialization

Gradient descent needs a starting point. Where it starts decides how quickly the network trains,
and in a deep network whether it trains at all: a poor choice makes the signal, and with it the
gradient, **explode or vanish** as it passes through the layers. In this notebook you write four
initializers and a tool that measures what each one does to a deep network:

1. all zeros, and why it never works;
2. large random weights, and why they blow up the cost;
3. the exploding / vanishing picture;
4. Xavier initialization, derived step by step;
5. He initialization, for ReLU networks;
6. measuring the variance of the activations layer by layer.

**Conventions.** `layers_dims = [n_0, n_1, ..., n_L]` lists the layer widths, $n_0 = n_x$
being the number of input features. The network has $L$ = `len(layers_dims) - 1` layers, and
`parameters` holds `"W1", "b1", ..., "WL", "bL"` with $W^{[l]}$ of shape $(n^{[l]}, n^{[l-1]})$
and $b^{[l]}$ of shape $(n^{[l]}, 1)$, all float arrays.

**How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError()` with your code,
then run the self-check cell below it: it prints a success line, or tells you in a sentence
what looks wrong. Random initializers are checked statistically, so any NumPy random API that
draws from the right distribution passes. The demo cells are not graded; they use *your*
functions. Run the first code cell (the imports) before anything else.
"""),
    Markdown(r"""
## 1. Zeros

The simplest idea is to start from nothing: every $W^{[l]}$ and every $b^{[l]}$ all zeros.

**Shapes.** For $l = 1, \dots, L$: `parameters["W" + str(l)]` has shape
`(layers_dims[l], layers_dims[l - 1])` and `parameters["b" + str(l)]` shape
`(layers_dims[l], 1)`.

**What to check.** There are `len(layers_dims) - 1` layers, numbered from 1 (there is no
`W0`); the number of rows of $W^{[l]}$ is the width of layer $l$, the number of columns that of
layer $l - 1$.
"""),
    initializer(
        "zeros",
        1,
        "All weights and biases zero.",
        """
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = np.zeros((layers_dims[l], layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
""",
    ),
    Markdown(r"""
### Why zeros fail: the symmetry is never broken

If all weights of a layer are equal (zero is just the most common case), every unit of that
layer computes the same function of its inputs, so every unit has the same activation for every
example. Backpropagation then hands every unit the same gradient, so after the update their
weights are equal again, and so on forever. However long you train, a layer of $n$ identical
units is no more expressive than a single unit. With zeros it is even worse: the activations
and the gradients of the hidden weights are exactly zero, and the network predicts 0.5 for
everything. Random initialization is needed to **break the symmetry**.

The demo feeds a data set through a network built with **your** zeros initializer.
"""),
    Demo("symmetry", "demos.symmetry(initialize_parameters_zeros)"),
    Markdown(r"""
## 2. Large random weights

Random weights break the symmetry. But how large should they be? Try large ones:

$$W^{[l]}_{ij} \sim \mathcal{N}(0, 1) \times 10, \qquad b^{[l]} = 0,$$

that is, independent normal draws with mean 0 and standard deviation 10 (variance 100).

**What to check.** Multiply *standard* normal draws by 10, e.g.
`np.random.default_rng().standard_normal(shape) * 10` or `np.random.randn(rows, cols) * 10`;
keep the biases zero; shapes as before.
"""),
    initializer(
        "random",
        1,
        "Weights drawn from N(0, 1) and scaled by 10, biases zero.",
        """
    rng = np.random.default_rng()
    parameters = {}
    for l in range(1, len(layers_dims)):
        shape = (layers_dims[l], layers_dims[l - 1])
        parameters["W" + str(l)] = rng.standard_normal(shape) * 10
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
""",
    ),
    Markdown(r"""
### Why large weights fail: the cost explodes

With weights this large, the pre-activations $z$ are huge, so the sigmoid output is pushed to
(almost exactly) 0 or 1. Whenever such a confident prediction is wrong, the cross-entropy cost
$-\log(\hat y)$ of that example is enormous, so the initial cost is very large. Saturated units
also have nearly zero slope, so learning starts slowly. The demo draws a network with **your**
large random initializer and compares it with the very same draw scaled down to the variance
$2 / n^{[l-1]}$ that section 5 will justify.
"""),
    Demo("large_weights", "demos.large_weights(initialize_parameters_random)"),
    Markdown(r"""
## 3. Exploding and vanishing signals

Why does the scale matter so much? Take a deep network with two units per layer, linear
activations and no biases, and set every weight matrix to the same diagonal matrix:

$$W^{[1]} = W^{[2]} = \dots = W^{[L-1]} = \begin{bmatrix} 1.5 & 0 \\ 0 & 1.5 \end{bmatrix}
\quad\Longrightarrow\quad a^{[l]} = 1.5^{\,l}\, x \quad \text{(explodes)}$$

$$W^{[1]} = W^{[2]} = \dots = W^{[L-1]} = \begin{bmatrix} 0.5 & 0 \\ 0 & 0.5 \end{bmatrix}
\quad\Longrightarrow\quad a^{[l]} = 0.5^{\,l}\, x \quad \text{(vanishes)}$$

Each layer multiplies the signal by a factor a little away from 1, and over many layers that
factor is raised to a large power. Backpropagation multiplies the gradients by the same
matrices (transposed), so the gradients explode or vanish in the same way: huge, unstable
updates in one case, no learning in the early layers in the other.

The goal of a good initialization is therefore: **keep the variance of the activations the same
in every layer**, so that the signal neither grows nor shrinks on its way through the network.
"""),
    Demo("identity_scaling", "demos.identity_scaling()"),
    Markdown(r"""
## 4. Xavier initialization

Which variance of the weights keeps the variance of the activations constant? We make four
assumptions:

1. the weights are drawn around zero ($E[w] = 0$) and the biases are zero;
2. the weights are independent and identically distributed;
3. the inputs of each layer are independent and identically distributed;
4. the weights and the inputs are mutually independent.

We also use a $\tanh$ activation and assume the pre-activations stay near zero, where
$\tanh$ is almost linear and symmetric: $\tanh(z) \approx z$, so the activations have mean
zero too. Now follow the variance of one unit $i$ of layer $l$, step by step.

**Step 1: what we want.** The variance should not change from one layer to the next:
$$\mathrm{Var}\big(a_i^{[l]}\big) = \mathrm{Var}\big(a_i^{[l-1]}\big).$$

**Step 2: linearity of tanh near zero.** Since $a_i^{[l]} = \tanh\big(z_i^{[l]}\big) \approx
z_i^{[l]}$,
$$\mathrm{Var}\big(a_i^{[l]}\big) \approx \mathrm{Var}\big(z_i^{[l]}\big)
= \mathrm{Var}\Big(\sum_{j=1}^{n^{[l-1]}} w_{ij}^{[l]} a_j^{[l-1]}\Big)
\qquad \text{(the bias is zero).}$$

**Step 3: variance of a sum of independent terms.** The terms of the sum are independent
(assumptions 2 to 4), and for independent $X, Y$, $\mathrm{Var}(X + Y) = \mathrm{Var}(X) +
\mathrm{Var}(Y)$:
$$\mathrm{Var}\big(z_i^{[l]}\big) = \sum_{j=1}^{n^{[l-1]}}
\mathrm{Var}\big(w_{ij}^{[l]} a_j^{[l-1]}\big).$$

**Step 4: variance of a product of independent variables.** For independent $X, Y$,
$\mathrm{Var}(XY) = E[X]^2\,\mathrm{Var}(Y) + E[Y]^2\,\mathrm{Var}(X) +
\mathrm{Var}(X)\,\mathrm{Var}(Y)$. Here both means are zero (the weights by assumption 1, the
activations because tanh is symmetric around zero), so the first two terms vanish:
$$\mathrm{Var}\big(w_{ij}^{[l]} a_j^{[l-1]}\big) =
\mathrm{Var}\big(w_{ij}^{[l]}\big)\,\mathrm{Var}\big(a_j^{[l-1]}\big).$$

**Step 5: identical distributions.** All $n^{[l-1]}$ terms have the same variance
(assumptions 2 and 3), so
$$\mathrm{Var}\big(a_i^{[l]}\big) = n^{[l-1]}\,\mathrm{Var}(W^{[l]})\,
\mathrm{Var}\big(a^{[l-1]}\big).$$

**Step 6: solve.** This equals $\mathrm{Var}\big(a^{[l-1]}\big)$ exactly when
$$\boxed{\mathrm{Var}\big(W^{[l]}\big) = \frac{1}{n^{[l-1]}}}$$

So **Xavier initialization** draws $W^{[l]}_{ij} \sim \mathcal{N}\big(0,
\tfrac{1}{n^{[l-1]}}\big)$, with $b^{[l]} = 0$. Note it is the variance of the *activations*
we hold constant, not that of the weights: the weights of a wide layer must be *smaller*.

**What to check.** $\mathcal{N}(0, \sigma^2)$ has standard deviation $\sigma$: multiply standard
normal draws by $\sqrt{1 / n^{[l-1]}}$, not by $1 / n^{[l-1]}$. The fan-in $n^{[l-1]}$ is
`layers_dims[l - 1]`, the width of the *previous* layer.
"""),
    fan_in_initializer("Xavier", gain=1),
    Markdown(r"""
## 5. He initialization, for ReLU

The Xavier derivation relied on $\tanh$ being **linear and symmetric around zero** (step 2 and
the zero means of step 4). ReLU, $g(z) = \max(0, z)$, is neither: it is not linear around zero
(it has a kink there) and not symmetric (every negative input becomes 0). Those are the
assumptions that must change.

Redo the computation for ReLU. With $z$ symmetric around zero, ReLU zeroes half of it, so
$E\big[(a^{[l]})^2\big] = \tfrac{1}{2}\,\mathrm{Var}\big(z^{[l]}\big)$, and the
variance-of-a-product step becomes $\mathrm{Var}(z^{[l]}) = n^{[l-1]}\,\mathrm{Var}(W^{[l]})\,
E\big[(a^{[l-1]})^2\big] = \tfrac{1}{2}\, n^{[l-1]}\, \mathrm{Var}(W^{[l]})\,
\mathrm{Var}(z^{[l-1]})$. Each layer loses half of the signal, and to make up for it the weights
need twice the Xavier variance:

$$\boxed{\mathrm{Var}\big(W^{[l]}\big) = \frac{2}{n^{[l-1]}}}$$

This is **He initialization**: $W^{[l]}_{ij} \sim \mathcal{N}\big(0, \tfrac{2}{n^{[l-1]}}\big)$,
$b^{[l]} = 0$.

**What to check.** The scale is $\sqrt{2 / n^{[l-1]}}$ (square root, fan-in of the previous
layer); biases zero.
"""),
    fan_in_initializer("He", gain=2),
    Markdown(r"""
## 6. Measuring the variance layer by layer

To see whether an initializer keeps the signal stable, push data through the network and
measure the variance of each layer's activations:

$$a^{[0]} = X, \qquad a^{[l]} = g\big(W^{[l]} a^{[l-1]} + b^{[l]}\big), \qquad
\text{result}_l = \mathrm{Var}\big(a^{[l]}\big) \quad (l = 1, \dots, L)$$

where $g$ is the same activation in every layer, named by the string `activation`:
`"linear"` ($g(z) = z$), `"tanh"` or `"relu"` ($g(z) = \max(0, z)$), and the variance is taken
over **all** entries of the matrix $a^{[l]}$ (all units and all examples together).

**Shapes.** `X` is $(n^{[0]}, m)$; $a^{[l]}$ is $(n^{[l]}, m)$; the result is a 1-D array of
length $L$.

**What to check.** Start from $a^{[0]} = X$ but do not include its variance; apply $g$ in every
layer, the last one included; use `np.var(a)` with no `axis`; return a NumPy array (a list of
numbers is accepted too, but an array is preferred).
"""),
    Exercise(
        "activation_variances",
        3,
        r'''
def activation_variances(X, parameters, activation):
    """Variance of every layer's activations when X is fed through the network.

    Arguments:
    X -- input data, shape (n_0, m)
    parameters -- dict of W1, b1, ..., WL, bL
    activation -- "linear", "tanh" or "relu", used in every layer

    Returns:
    variances -- 1-D array of length L, variances[l - 1] = np.var(a[l])
    """
    ### BEGIN SOLUTION
    nonlinearities = {
        "linear": lambda z: z,
        "tanh": np.tanh,
        "relu": lambda z: np.maximum(z, 0.0),
    }
    g = nonlinearities[activation]
    a = np.asarray(X, dtype=np.float64)
    variances = []
    for l in range(1, len(parameters) // 2 + 1):
        a = g(parameters["W" + str(l)] @ a + parameters["b" + str(l)])
        variances.append(np.var(a))
    return np.array(variances)
    ### END SOLUTION
''',
    ),
    Markdown(r"""
### Demo: Xavier and He in a deep network

A network of 15 layers of 200 units, fed with standard normal inputs. The cell measures, with
**your** `activation_variances`, the variance of every layer for three combinations, and plots
it on a log scale:

- Xavier + tanh: the setting of the derivation; the variance only drifts down slowly (tanh is
  linear only near zero and squashes the larger values);
- He + ReLU: the setting of He's correction; stable;
- Xavier + ReLU: the mismatch; each layer halves the signal, which vanishes exponentially.
"""),
    Demo(
        "variance_by_layer",
        "demos.variance_by_layer(\n"
        "    initialize_parameters_xavier, initialize_parameters_he, activation_variances\n)",
    ),
    Markdown(r"""
## Summary

- Zeros (or any equal weights) never break the symmetry: a layer of identical units stays
  identical.
- Large random weights saturate the units and make the initial cost explode.
- Repeated multiplication by the weights makes signals and gradients explode or vanish, so the
  aim is to keep the variance of the activations equal across layers.
- For tanh, that gives Xavier, $\mathrm{Var}(W^{[l]}) = 1 / n^{[l-1]}$; for ReLU, which is
  neither linear nor symmetric around zero, He, $\mathrm{Var}(W^{[l]}) = 2 / n^{[l-1]}$.
"""),
]
