"""Text and solutions of the `optimization` source notebook."""

from string import Template

from notebook_builder import Demo, Exercise, Markdown

ASSIGNMENT = "optimization"

#: initialize_velocity and initialize_rmsprop: the same code but for the name of what it creates.
ZEROS_LIKE_PARAMETERS = Template('''
def $name(parameters):
    """$summary: zeros shaped like every W and b.

    Arguments:
    parameters -- dict of W1, b1, ..., WL, bL

    Returns:
    $state -- dict of dW1, db1, ..., dWL, dbL, all zeros
    """
    ### BEGIN SOLUTION
    num_layers = len(parameters) // 2
    $state = {}
    for l in range(1, num_layers + 1):
        for kind in ("W", "b"):
            $state["d" + kind + str(l)] = np.zeros(parameters[kind + str(l)].shape)
    return $state
    ### END SOLUTION
''')


def zeros_like_parameters(name: str, summary: str, state: str) -> Exercise:
    """The 1-point exercise ``name``: a dict ``state`` of zeros keyed dW1, db1, ..., dWL, dbL."""
    solution = ZEROS_LIKE_PARAMETERS.substitute(name=name, summary=summary, state=state)
    return Exercise(name, 1, solution)


OPTIMIZER_ARGUMENTS = """\
    update_parameters_with_gd,
    initialize_velocity,
    update_parameters_with_momentum,
    initialize_rmsprop,
    update_parameters_with_rmsprop,
    initialize_adam,
    update_parameters_with_adam,"""

PARTS = [
    Markdown(r"""
# Optimization methods

Training a network means searching parameter space for a point where the cost on the training
set is low. Plain gradient descent does this by walking downhill, but the walk can be slow,
noisy, or stuck bouncing across a narrow valley. In this notebook you build the standard
refinements one function at a time:

1. gradient descent and its three variants (stochastic, mini-batch, full batch);
2. cutting a training set into random mini-batches;
3. momentum;
4. RMSprop;
5. Adam;
6. learning-rate decay.

**Conventions** (the same as the rest of the course). `parameters` is a dictionary holding
`"W1", "b1", ..., "WL", "bL"`, where $W^{[l]}$ has shape $(n^{[l]}, n^{[l-1]})$ and $b^{[l]}$
has shape $(n^{[l]}, 1)$. `grads`, `v` and `s` are dictionaries keyed `"dW1", "db1", ...`
whose arrays have the shape of the matching parameter. `X` has one example per column, shape
$(n_x, m)$, and `Y` has shape $(1, m)$.

**How to work.** Replace each `# YOUR CODE HERE` / `raise NotImplementedError()` with your code,
then run the self-check cell below it: it prints a success line, or tells you in a sentence
what looks wrong. The demo cells are not graded; they run *your* functions on small problems so
you can see what each method does. Run the first code cell (the imports) before anything else.
"""),
    Markdown(r"""
## 1. Gradient descent

Gradient descent moves every parameter a small step against its gradient. With learning rate
$\alpha$, for every layer $l = 1, \dots, L$:

$$W^{[l]} \leftarrow W^{[l]} - \alpha \, dW^{[l]}, \qquad
  b^{[l]} \leftarrow b^{[l]} - \alpha \, db^{[l]}$$

**Shapes.** `grads["dW" + str(l)]` has the shape of `parameters["W" + str(l)]`, i.e.
$(n^{[l]}, n^{[l-1]})$; `grads["db" + str(l)]` has shape $(n^{[l]}, 1)$.

**What to check.** The dictionary holds two arrays per layer, so there are
`len(parameters) // 2` layers, numbered from 1. Update both `W` and `b` of every layer, with a
minus sign, and return the dictionary.
"""),
    Exercise(
        "update_parameters_with_gd",
        1,
        r'''
def update_parameters_with_gd(parameters, grads, learning_rate):
    """Take one step of plain gradient descent on every layer.

    Arguments:
    parameters -- dict of W1, b1, ..., WL, bL
    grads -- dict of dW1, db1, ..., dWL, dbL, shaped like the parameters
    learning_rate -- the step size alpha, a float

    Returns:
    parameters -- dict of the updated W1, b1, ..., WL, bL
    """
    ### BEGIN SOLUTION
    num_layers = len(parameters) // 2
    updated = {}
    for l in range(1, num_layers + 1):
        for kind in ("W", "b"):
            name = kind + str(l)
            updated[name] = parameters[name] - learning_rate * grads["d" + name]
    return updated
    ### END SOLUTION
''',
    ),
    Markdown(r"""
## 2. Stochastic, mini-batch and full-batch gradient descent

The three variants of gradient descent differ only in **how many examples** are used to
estimate the gradient before each update:

| variant | examples per update | updates per pass over the data (epoch) |
|---|---|---|
| stochastic (SGD) | 1 | $m$ |
| mini-batch | $k$, typically 32 to 512 | $\lceil m / k \rceil$ |
| full batch ("batch") | all $m$ | 1 |

This is a trade-off between the **accuracy** of each update and the **time** it takes.
The full-batch gradient is exact, so its steps go smoothly downhill, but every single step
costs a full pass over the data. A stochastic gradient is computed from one example: very
cheap, so many updates happen per epoch, but it is a noisy estimate, so the updates have the
most variance and the path zig-zags (and one example at a time wastes the speed of vectorized
code). Mini-batches sit in between: nearly as smooth as full batch, nearly as many updates as
SGD, and each batch is one fast matrix product. That is why they are the default.

The batches must be **random** samples of the training set: if the data were sorted (say by
label), consecutive batches would pull the parameters in systematically different directions.
So before cutting the data into batches we shuffle it, with *one* permutation applied to the
columns of both `X` and `Y`, so each example keeps its label.

With batch size $k$ there are $\lfloor m / k \rfloor$ full batches; when $k$ does not divide
$m$, one last, smaller batch holds the remaining $m - k \lfloor m / k \rfloor$ examples.

**Shapes.** Each full batch is a pair `(X_batch, Y_batch)` of shapes $(n_x, k)$ and $(1, k)$.

**What to check.** Shuffle once, with `np.random.default_rng(seed).permutation(m)`, and index
the columns of `X` *and* `Y` with the same permutation (never shuffle them separately). Slice
columns, not rows. Do not drop the last, smaller batch, and do not add an empty one when $k$
divides $m$. Every example appears in exactly one batch.
"""),
    Exercise(
        "random_mini_batches",
        2,
        r'''
def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    """Shuffle the examples of (X, Y) and cut them into mini-batches.

    Arguments:
    X -- input data, shape (n_x, m)
    Y -- labels, shape (1, m)
    mini_batch_size -- number of examples k in each full mini-batch
    seed -- seed of the shuffle, so that results are reproducible

    Returns:
    mini_batches -- list of (mini_batch_X, mini_batch_Y) pairs
    """
    ### BEGIN SOLUTION
    m = X.shape[1]
    order = np.random.default_rng(seed).permutation(m)
    shuffled_X, shuffled_Y = X[:, order], Y[:, order]
    mini_batches = []
    for start in range(0, m, mini_batch_size):
        stop = start + mini_batch_size
        mini_batches.append((shuffled_X[:, start:stop], shuffled_Y[:, start:stop]))
    return mini_batches
    ### END SOLUTION
''',
    ),
    Markdown(r"""
### Demo: how noisy are the updates?

The cell below fits a two-weight linear regression with **your** `random_mini_batches` and
`update_parameters_with_gd`, making the same number of updates with batches of 1, 64 and all
examples. On the left, the path of the two weights over the contours of the cost; on the right,
the cost after each update. The table shows the other side of the trade-off: how many examples
each variant had to read.
"""),
    Demo("batch_noise", "demos.batch_noise(random_mini_batches, update_parameters_with_gd)"),
    Markdown(r"""
## 3. Momentum

Mini-batch gradients are noisy, and on a surface that is much steeper in one direction than
another, gradient descent oscillates across the steep direction while crawling along the flat
one. **Momentum** keeps a running average of past gradients, the *velocity* $v$, and steps
along it. Components that keep flipping sign average out (the oscillation is damped); components
that keep pointing the same way add up (the progress along the valley accelerates).

With $\beta \in [0, 1)$ (0.9 is a common choice), for every layer:

$$v_{dW^{[l]}} \leftarrow \beta \, v_{dW^{[l]}} + (1 - \beta) \, dW^{[l]}, \qquad
  W^{[l]} \leftarrow W^{[l]} - \alpha \, v_{dW^{[l]}}$$

$$v_{db^{[l]}} \leftarrow \beta \, v_{db^{[l]}} + (1 - \beta) \, db^{[l]}, \qquad
  b^{[l]} \leftarrow b^{[l]} - \alpha \, v_{db^{[l]}}$$

The velocity starts at zero. First write the function that creates it.

**Shapes.** `v["dW" + str(l)]` has the shape of `parameters["W" + str(l)]`, and
`v["db" + str(l)]` that of `parameters["b" + str(l)]`.

**What to check.** The keys are `"dW1", "db1", ...` (with the `d`), one pair per layer, and
the arrays are float zeros of the right shapes.
"""),
    zeros_like_parameters("initialize_velocity", "Create the momentum velocity", "v"),
    Markdown(r"""
Now the update itself.

**What to check.** Weight the new gradient by $(1 - \beta)$: without it the velocity grows to
about $1 / (1 - \beta)$ times the gradient, ten times too large for $\beta = 0.9$. Update $v$
first, then step the parameters along the *new* $v$, not along the raw gradient. Return both
`parameters` and `v`. With $\beta = 0$ your function must behave exactly like plain gradient
descent.
"""),
    Exercise(
        "update_parameters_with_momentum",
        2,
        r'''
def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    """Take one step of gradient descent with momentum.

    Arguments:
    parameters -- dict of W1, b1, ..., WL, bL
    grads -- dict of dW1, db1, ..., dWL, dbL
    v -- dict of the current velocity, keyed like grads
    beta -- the momentum hyperparameter, a float in [0, 1)
    learning_rate -- the step size alpha

    Returns:
    parameters -- dict of the updated parameters
    v -- dict of the updated velocity
    """
    ### BEGIN SOLUTION
    num_layers = len(parameters) // 2
    new_parameters, new_v = {}, {}
    for l in range(1, num_layers + 1):
        for kind in ("W", "b"):
            name = kind + str(l)
            new_v["d" + name] = beta * v["d" + name] + (1 - beta) * grads["d" + name]
            new_parameters[name] = parameters[name] - learning_rate * new_v["d" + name]
    return new_parameters, new_v
    ### END SOLUTION
''',
    ),
    Markdown(r"""
## 4. RMSprop

Some parameters see large gradients, others tiny ones, and a single learning rate cannot suit
both. **RMSprop** keeps a running average $s$ of the *squared* gradients and divides each step
by its square root, the root mean square of recent gradients. A parameter with large gradients
therefore gets smaller steps, and a parameter with small gradients larger ones: the learning
rate adapts to each parameter.

With $\beta_2 \in [0, 1)$ and a small $\varepsilon$ that prevents division by zero, for every
layer (squares, square roots and divisions are element by element):

$$s_{dW^{[l]}} \leftarrow \beta_2 \, s_{dW^{[l]}} + (1 - \beta_2) \, \big(dW^{[l]}\big)^2,
  \qquad
  W^{[l]} \leftarrow W^{[l]} - \alpha \, \frac{dW^{[l]}}{\sqrt{s_{dW^{[l]}}} + \varepsilon}$$

and the same for $b^{[l]}$ with $db^{[l]}$. Like the velocity, $s$ starts at zero.

**Shapes.** `s` has exactly the keys and shapes of the velocity `v`.

**What to check.** Keys `"dW1", "db1", ...`; float zeros of the parameter shapes.
"""),
    zeros_like_parameters(
        "initialize_rmsprop", "Create the RMSprop average of squared gradients", "s"
    ),
    Markdown(r"""
**What to check.** Square element by element (`grad ** 2`, not a matrix product). Keep
$\varepsilon$ *outside* the square root. The numerator is the raw gradient, not $s$. Return
both `parameters` and `s`.
"""),
    Exercise(
        "update_parameters_with_rmsprop",
        2,
        r'''
def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    """Take one step of RMSprop.

    Arguments:
    parameters -- dict of W1, b1, ..., WL, bL
    grads -- dict of dW1, db1, ..., dWL, dbL
    s -- dict of the running average of squared gradients, keyed like grads
    beta2 -- decay of the running average, a float in [0, 1)
    learning_rate -- the step size alpha
    epsilon -- small number that keeps the division finite

    Returns:
    parameters -- dict of the updated parameters
    s -- dict of the updated running average
    """
    ### BEGIN SOLUTION
    num_layers = len(parameters) // 2
    new_parameters, new_s = {}, {}
    for l in range(1, num_layers + 1):
        for kind in ("W", "b"):
            name = kind + str(l)
            gradient = grads["d" + name]
            new_s["d" + name] = beta2 * s["d" + name] + (1 - beta2) * gradient**2
            step = gradient / (np.sqrt(new_s["d" + name]) + epsilon)
            new_parameters[name] = parameters[name] - learning_rate * step
    return new_parameters, new_s
    ### END SOLUTION
''',
    ),
    Markdown(r"""
## 5. Adam

**Adam** ("adaptive moment estimation") combines the two previous ideas: it keeps the momentum
average $v$ of the gradients *and* the RMSprop average $s$ of their squares, and steps along
$v$ scaled by $1 / \sqrt{s}$. So it has an adaptive learning rate per parameter, like RMSprop,
and it uses past gradients, like momentum.

Because both averages start at zero, they are biased towards zero during the first updates
(after one step, $v = (1 - \beta_1)\, dW$, only a tenth of the gradient for $\beta_1 = 0.9$).
Adam divides them by $1 - \beta^t$, where $t$ counts the updates taken so far **starting
from 1**; the correction fades away as $t$ grows. For every layer:

$$\begin{aligned}
v_{dW^{[l]}} &\leftarrow \beta_1 \, v_{dW^{[l]}} + (1 - \beta_1) \, dW^{[l]}
  & v^{\text{corrected}}_{dW^{[l]}} &= \frac{v_{dW^{[l]}}}{1 - \beta_1^{\,t}} \\
s_{dW^{[l]}} &\leftarrow \beta_2 \, s_{dW^{[l]}} + (1 - \beta_2) \, \big(dW^{[l]}\big)^2
  & s^{\text{corrected}}_{dW^{[l]}} &= \frac{s_{dW^{[l]}}}{1 - \beta_2^{\,t}} \\
W^{[l]} &\leftarrow W^{[l]} - \alpha \,
  \frac{v^{\text{corrected}}_{dW^{[l]}}}{\sqrt{s^{\text{corrected}}_{dW^{[l]}}} + \varepsilon}
\end{aligned}$$

and the same for $b^{[l]}$. Usual values: $\beta_1 = 0.9$, $\beta_2 = 0.999$,
$\varepsilon = 10^{-8}$.

**What to check** for `initialize_adam`: return a *pair* `(v, s)` of two separate
dictionaries of zeros, each keyed `"dW1", "db1", ...` like the velocity.
"""),
    Exercise(
        "initialize_adam",
        1,
        r'''
def initialize_adam(parameters):
    """Create Adam's two running averages, both zeros shaped like every W and b.

    Arguments:
    parameters -- dict of W1, b1, ..., WL, bL

    Returns:
    v -- dict of dW1, db1, ..., dWL, dbL: running average of the gradients
    s -- dict of dW1, db1, ..., dWL, dbL: running average of the squared gradients
    """
    ### BEGIN SOLUTION
    num_layers = len(parameters) // 2
    v, s = {}, {}
    for l in range(1, num_layers + 1):
        for kind in ("W", "b"):
            shape = parameters[kind + str(l)].shape
            v["d" + kind + str(l)] = np.zeros(shape)
            s["d" + kind + str(l)] = np.zeros(shape)
    return v, s
    ### END SOLUTION
''',
    ),
    Markdown(r"""
**What to check** for the update: use $\beta_1$ for $v$ and $\beta_2$ for $s$; the bias
correction divides by $1 - \beta^t$ (not $1 - \beta$, and not $\beta^t$); $\varepsilon$ stays
outside the square root; the `v` and `s` you return are the **uncorrected** averages (the
corrected ones are only used for the step and are returned separately, as `v_corrected` and
`s_corrected`, dictionaries with the same keys).
"""),
    Exercise(
        "update_parameters_with_adam",
        3,
        r'''
def update_parameters_with_adam(
    parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9, beta2=0.999, epsilon=1e-8
):
    """Take one step of Adam.

    Arguments:
    parameters -- dict of W1, b1, ..., WL, bL
    grads -- dict of dW1, db1, ..., dWL, dbL
    v -- dict of the running average of the gradients, keyed like grads
    s -- dict of the running average of the squared gradients, keyed like grads
    t -- number of Adam steps taken, counting this one (1 for the first step)
    learning_rate -- the step size alpha
    beta1 -- decay of the first moment average v
    beta2 -- decay of the second moment average s
    epsilon -- small number that keeps the division finite

    Returns:
    parameters -- dict of the updated parameters
    v -- dict of the updated (uncorrected) first moment average
    s -- dict of the updated (uncorrected) second moment average
    v_corrected -- dict of the bias-corrected first moment
    s_corrected -- dict of the bias-corrected second moment
    """
    ### BEGIN SOLUTION
    num_layers = len(parameters) // 2
    new_parameters, new_v, new_s, v_corrected, s_corrected = {}, {}, {}, {}, {}
    for l in range(1, num_layers + 1):
        for kind in ("W", "b"):
            name = kind + str(l)
            key = "d" + name
            new_v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
            new_s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
            v_corrected[key] = new_v[key] / (1 - beta1**t)
            s_corrected[key] = new_s[key] / (1 - beta2**t)
            step = v_corrected[key] / (np.sqrt(s_corrected[key]) + epsilon)
            new_parameters[name] = parameters[name] - learning_rate * step
    return new_parameters, new_v, new_s, v_corrected, s_corrected
    ### END SOLUTION
''',
    ),
    Markdown(r"""
### Demo: four optimizers in a ravine

A *ravine* is a region where the surface curves much more steeply in one dimension than in
another, common near minima of real cost functions. The cell below starts **your** four
optimizers at the same point of $f(x, y) = (0.5\,x^2 + 25\,y^2) / 2$, fifty times steeper across
the valley than along it, and draws 60 steps of each.

Look for: gradient descent bouncing from wall to wall while it crawls along the floor; momentum
damping the bounce and building up speed along the valley; RMSprop and Adam rescaling each
direction so that the steep one no longer dominates. None of these methods is guaranteed to find
the *global* minimum of a non-convex cost; they only change how the walk downhill behaves.
"""),
    Demo("ravine", f"demos.ravine_race(\n{OPTIMIZER_ARGUMENTS}\n)"),
    Markdown(r"""
## 6. Learning-rate decay

If the learning rate is too large, gradient descent can overshoot and even diverge. If it is
fixed, mini-batch noise keeps the parameters **bouncing around the minimum** forever: near the
bottom, the steps are still as large as they were far away. Slowly shrinking the learning rate
as training goes on (*annealing*) keeps the large, fast steps early and lets the parameters
settle into the minimum at the end.

A simple rule divides the initial rate $\alpha_0$ by a factor that grows with the epoch number:

$$\alpha = \frac{\alpha_0}{1 + \text{decay\_rate} \times \text{epoch\_num}}$$

**What to check.** Epoch 0 gives back $\alpha_0$; return a number, not an array.
"""),
    Exercise(
        "update_lr",
        1,
        r'''
def update_lr(learning_rate0, epoch_num, decay_rate):
    """Learning rate after epoch_num epochs of inverse-time decay.

    Arguments:
    learning_rate0 -- initial learning rate alpha_0
    epoch_num -- number of the current epoch, from 0
    decay_rate -- how fast the learning rate shrinks

    Returns:
    learning_rate -- the decayed learning rate, a float
    """
    ### BEGIN SOLUTION
    return learning_rate0 / (1 + decay_rate * epoch_num)
    ### END SOLUTION
''',
    ),
    Markdown(r"""
Decaying after every epoch shrinks the rate very quickly when there are thousands of epochs.
A common alternative decays it in **steps**, once every `time_interval` epochs:

$$\alpha = \frac{\alpha_0}{1 + \text{decay\_rate} \times
  \left\lfloor \dfrac{\text{epoch\_num}}{\text{time\_interval}} \right\rfloor}$$

**What to check.** Round the quotient *down* (`//` or `np.floor`) so that the rate stays
constant inside each interval; plain division would decay it smoothly again. Epochs
$0, \dots, \text{time\_interval} - 1$ all give $\alpha_0$.
"""),
    Exercise(
        "schedule_lr_decay",
        1,
        r'''
def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    """Learning rate after epoch_num epochs when it decays once every time_interval epochs.

    Arguments:
    learning_rate0 -- initial learning rate alpha_0
    epoch_num -- number of the current epoch, from 0
    decay_rate -- how much the learning rate shrinks at each step of the schedule
    time_interval -- number of epochs between two steps of the schedule

    Returns:
    learning_rate -- the decayed learning rate, a float
    """
    ### BEGIN SOLUTION
    steps_taken = np.floor(epoch_num / time_interval)
    return float(learning_rate0 / (1 + decay_rate * steps_taken))
    ### END SOLUTION
''',
    ),
    Markdown(r"""
### Demo: the two schedules

Both of **your** decay rules over 3000 epochs, starting from $\alpha_0 = 0.1$.
"""),
    Demo("schedules", "demos.schedules(update_lr, schedule_lr_decay)"),
    Markdown(r"""
### Demo: a three-layer network on two moons

The last demo trains the same small network (layers `[2, 5, 2, 1]`, ReLU then a sigmoid
output, mini-batches of 64) on a two-moons data set with each of **your** optimizers, once with
a constant learning rate and once with `schedule_lr_decay`. It prints the training accuracy of
each run and draws the eight decision boundaries. It takes a few seconds.
"""),
    Demo("moons", f"demos.moons_race(\n{OPTIMIZER_ARGUMENTS}\n    schedule_lr_decay,\n)"),
    Markdown(r"""
## Summary

- The gradient-descent variants trade the accuracy of each update against its cost:
  stochastic updates are cheap and noisy, full-batch updates exact and expensive, mini-batches
  a practical middle.
- Momentum averages past gradients: it damps oscillations and speeds up consistent directions.
- RMSprop divides by the root mean square of recent gradients: a learning rate per parameter.
- Adam does both, with a bias correction for the zero start.
- Decaying the learning rate lets the parameters settle near a minimum instead of bouncing.
"""),
]
