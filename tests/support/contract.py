"""CONTRACT section 3 written out by hand: the graded names of each exercise set, in order.

The tests' one hand-written list of graded names, for the tests whose purpose is to hold the
package to the contract (test_course.py checks `autograder.course` against it; the reference's
documentation is checked for each of these names). Every other test reads the names from the
package, the one source the grader uses: `support.grading.graded_names`.
"""

from __future__ import annotations

GRADED_NAMES: dict[str, list[str]] = {
    "optimization": [
        "update_parameters_with_gd", "random_mini_batches", "initialize_velocity",
        "update_parameters_with_momentum", "initialize_rmsprop", "update_parameters_with_rmsprop",
        "initialize_adam", "update_parameters_with_adam", "update_lr", "schedule_lr_decay",
    ],
    "initialization": [
        "initialize_parameters_zeros", "initialize_parameters_random",
        "initialize_parameters_xavier", "initialize_parameters_he", "activation_variances",
    ],
}
