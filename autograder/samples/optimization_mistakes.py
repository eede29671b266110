# A sample submission with three classic mistakes (and everything else right).
import numpy as np


def update_parameters_with_gd(parameters, grads, learning_rate):
    L = len(parameters) // 2
    for l in range(1, L + 1):
        parameters["W" + str(l)] -= learning_rate * grads["dW" + str(l)]
        parameters["b" + str(l)] -= learning_rate * grads["db" + str(l)]
    return parameters


def random_mini_batches(X, Y, mini_batch_size=64, seed=0):
    np.random.seed(seed)
    m = X.shape[1]
    X_shuffled = X[:, np.random.permutation(m)]
    Y_shuffled = Y[:, np.random.permutation(m)]  # mistake: a second permutation for Y
    batches = []
    for k in range(0, m, mini_batch_size):
        batches.append(
            (X_shuffled[:, k : k + mini_batch_size], Y_shuffled[:, k : k + mini_batch_size])
        )
    return batches


def initialize_velocity(parameters):
    return {"d" + key: np.zeros_like(value) for key, value in parameters.items()}


def update_parameters_with_momentum(parameters, grads, v, beta, learning_rate):
    for key in v:
        v[key] = beta * v[key] + grads[key]  # mistake: (1 - beta) is missing
        parameters[key[1:]] = parameters[key[1:]] - learning_rate * v[key]
    return parameters, v


def initialize_rmsprop(parameters):
    return {"d" + key: np.zeros_like(value) for key, value in parameters.items()}


def update_parameters_with_rmsprop(parameters, grads, s, beta2, learning_rate, epsilon=1e-8):
    for key in s:
        s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
        parameters[key[1:]] -= learning_rate * grads[key] / (np.sqrt(s[key]) + epsilon)
    return parameters, s


def initialize_adam(parameters):
    return initialize_velocity(parameters), initialize_velocity(parameters)


def update_parameters_with_adam(parameters, grads, v, s, t, learning_rate=0.01, beta1=0.9,
                                beta2=0.999, epsilon=1e-8):
    v_corrected, s_corrected = {}, {}
    for key in v:
        v[key] = beta1 * v[key] + (1 - beta1) * grads[key]
        s[key] = beta2 * s[key] + (1 - beta2) * grads[key] ** 2
        v_corrected[key] = v[key] / (1 - beta1**t)
        s_corrected[key] = s[key] / (1 - beta2**t)
        # mistake: epsilon inside the square root
        parameters[key[1:]] -= (
            learning_rate * v_corrected[key] / np.sqrt(s_corrected[key] + epsilon)
        )
    return parameters, v, s, v_corrected, s_corrected


def update_lr(learning_rate0, epoch_num, decay_rate):
    return learning_rate0 / (1 + decay_rate * epoch_num)


def schedule_lr_decay(learning_rate0, epoch_num, decay_rate, time_interval=1000):
    return learning_rate0 / (1 + decay_rate * np.floor(epoch_num / time_interval))
