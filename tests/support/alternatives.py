"""Right answers written differently from the reference, as a student could write them: the
optimizers in place (IN_PLACE) or as pure functions (FUNCTIONAL), and the initializers over each
way of drawing from a normal distribution (INITIALIZERS with one of DRAWS); holds no tests.

Only forms that are truly equal to the course's rules are used (e.g. Adam's bias correction as a
multiplication by 1 / (1 - beta**t), not Kingma's "efficient" form, which moves epsilon).
"""

from __future__ import annotations

IN_PLACE = r'''
import math
import numpy as np


def update_parameters_with_gd(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(L):
        parameters["W" + str(l + 1)] -= learning_rate * grads["dW" + str(l + 1)]
        parameters["b" + str(l + 1)] = (parameters["b" + str(l + 1)]
                                        - learning_rate * grads["db" + str(l + 1)])
    return parameters


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    permutation = list(np.random.permutation(m))
    shuffled_X = X[:, permutation]
    shuffled_Y = Y[:, permutation].reshape((1, m))
    mini_batches = []
    num_complete = math.floor(m / mini_batch_size)
    for k in range(num_complete):
        mini_batch_X = shuffled_X[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batch_Y = shuffled_Y[:, k * mini_batch_size:(k + 1) * mini_batch_size]
        mini_batches.append((mini_batch_X, mini_batch_Y))
    if m % mini_batch_size != 0:
        mini_batches.append((shuffled_X[:, num_complete * mini_batch_size:],
                             shuffled_Y[:, num_complete * mini_batch_size:]))
    return mini_batches


def initialize_velocity(parameters):
    L = len(parameters) // 2
    v = {}
    for l in range(1, L + 1):
        v["dW%d" % l] = np.zeros(parameters["W%d" % l].shape)
        v["db%d" % l] = np.zeros(parameters["b%d" % l].shape)
    return v


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for l in range(1, len(parameters) // 2 + 1):
        for p in "Wb":
            v[f"d{p}{l}"] = beta * v[f"d{p}{l}"] + (1 - beta) * grads[f"d{p}{l}"]
            parameters[f"{p}{l}"] -= learning_rate * v[f"d{p}{l}"]
    return [parameters, v]


def initialize_rmsprop(parameters):
    return {"d" + k: np.zeros_like(w) for k, w in parameters.items()}


def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    for k in parameters:
        s["d" + k] *= beta2
        s["d" + k] += (1 - beta2) * np.square(grads["d" + k])
        parameters[k] -= learning_rate * grads["d" + k] / (np.sqrt(s["d" + k]) + epsilon)
    return [parameters, s]


def initialize_adam(parameters):
    return [initialize_rmsprop(parameters), initialize_rmsprop(parameters)]


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    v_corrected, s_corrected = {}, {}
    for k in parameters:
        g = grads["d" + k]
        v["d" + k] = beta1 * v["d" + k] + (1 - beta1) * g
        s["d" + k] = beta2 * s["d" + k] + (1 - beta2) * (g * g)
        v_corrected["d" + k] = v["d" + k] * (1.0 / (1 - beta1 ** t))
        s_corrected["d" + k] = s["d" + k] * (1.0 / (1 - np.power(beta2, t)))
        parameters[k] -= (learning_rate * v_corrected["d" + k]
                          / (np.sqrt(s_corrected["d" + k]) + epsilon))
    return [parameters, v, s, v_corrected, s_corrected]


def update_lr(learning_rate0, epoch_num, decay_rate):
    return np.float64(learning_rate0) / (1 + decay_rate * epoch_num)


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 * (1 / (1 + decay_rate * np.floor(epoch_num / time_interval)))
'''

FUNCTIONAL = r'''
import numpy as np


def _layer_keys(parameters):
    return sorted(parameters)


def update_parameters_with_gd(parameters, grads, learning_rate):
    return {k: w - learning_rate * grads[f"d{k}"] for k, w in parameters.items()}


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    order = rng.permutation(X.shape[1])
    X, Y = X[:, order], Y[:, order]
    return [(X[:, i:i + mini_batch_size], Y[:, i:i + mini_batch_size])
            for i in range(0, X.shape[1], mini_batch_size)]


def initialize_velocity(parameters):
    return {"d" + k: np.zeros(w.shape, dtype=float) for k, w in parameters.items()}


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    new_v = {k: beta * v[k] + (1 - beta) * grads[k] for k in v}
    return {k: w - learning_rate * new_v["d" + k] for k, w in parameters.items()}, new_v


initialize_rmsprop = initialize_velocity


def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    new_s = {k: beta2 * s[k] + (1 - beta2) * grads[k] ** 2 for k in s}
    return ({k: w - learning_rate * (grads["d" + k] / (new_s["d" + k] ** 0.5 + epsilon))
             for k, w in parameters.items()}, new_s)


def initialize_adam(parameters):
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    v = {k: beta1 * v[k] + (1 - beta1) * grads[k] for k in v}
    s = {k: beta2 * s[k] + (1 - beta2) * np.power(grads[k], 2) for k in s}
    v_c = {k: v[k] / (1 - beta1 ** t) for k in v}
    s_c = {k: s[k] / (1 - beta2 ** t) for k in s}
    parameters = {k: w - learning_rate * v_c["d" + k] / (np.sqrt(s_c["d" + k]) + epsilon)
                  for k, w in parameters.items()}
    return parameters, v, s, v_c, s_c


def update_lr(learning_rate0, epoch_num, decay_rate):
    return float(learning_rate0 * (1.0 / (1.0 + decay_rate * epoch_num)))


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * (epoch_num // time_interval))
'''


# ---------------------------------------------------------------------------------------------
# Initializers: any RNG API that draws from the right distribution

RANDN = '''
def _draw(layers_dims, scale):
    parameters = {}
    for l in range(1, len(layers_dims)):
        parameters["W" + str(l)] = (np.random.randn(layers_dims[l], layers_dims[l - 1])
                                    * scale(layers_dims[l - 1]))
        parameters["b" + str(l)] = np.zeros((layers_dims[l], 1))
    return parameters
'''
NORMAL = '''
def _draw(layers_dims, scale):
    parameters = {}
    for l in range(1, len(layers_dims)):
        n_out, n_in = layers_dims[l], layers_dims[l - 1]
        parameters[f"W{l}"] = np.random.normal(0, scale(n_in), size=(n_out, n_in))
        parameters[f"b{l}"] = np.zeros(shape=(n_out, 1), dtype=np.float64)
    return parameters
'''
GENERATOR = '''
def _draw(layers_dims, scale):
    rng = np.random.default_rng()
    return {key: value for l in range(1, len(layers_dims)) for key, value in (
        (f"W{l}",
         rng.standard_normal((layers_dims[l], layers_dims[l - 1])) * scale(layers_dims[l - 1])),
        (f"b{l}", np.zeros((layers_dims[l], 1))),
    )}
'''
#: RANDN, seeded the same on every call, as in the original assignment.
SEEDED = RANDN.replace("def _draw(", "def _randn_draw(", 1) + '''

def _draw(layers_dims, scale):
    np.random.seed(3)
    return _randn_draw(layers_dims, scale)
'''
INITIALIZERS = '''
import numpy as np
{draw}

def initialize_parameters_zeros(layers_dims):
    return _draw(layers_dims, lambda n: 0.0)


def initialize_parameters_random(layers_dims):
    return _draw(layers_dims, lambda n: 10)


def initialize_parameters_xavier(layers_dims):
    return _draw(layers_dims, lambda n: np.sqrt(1.0 / n))


def initialize_parameters_he(layers_dims):
    return _draw(layers_dims, lambda n: (2 / n) ** 0.5)


def activation_variances(X, parameters, activation):
    a = X
    variances = []
    for l in range(1, len(parameters) // 2 + 1):
        z = np.dot(parameters["W%d" % l], a) + parameters["b%d" % l]
        a = {{"linear": z, "tanh": np.tanh(z), "relu": z * (z > 0)}}[activation]
        variances.append(np.mean((a - np.mean(a)) ** 2))
    return np.array(variances)
'''
DRAWS = {"randn": RANDN, "normal": NORMAL, "generator": GENERATOR, "seed3": SEEDED}
