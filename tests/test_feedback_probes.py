"""What comes back from the worker for the pictures is validated before anything is drawn."""

from __future__ import annotations

import numpy as np

from autograder.feedback.probes import RAVINE_STEPS, validate_parameters, validate_path
from reference.initializers import initialize

DIMS = [4, 3, 2]


def test_a_full_finite_path_is_kept_whole():
    path = np.zeros((RAVINE_STEPS + 1, 2))
    assert validate_path("update_parameters_with_gd", path) == (path, None)


def test_a_path_of_the_wrong_type_shape_or_dtype_gives_no_picture():
    for wrong in ([[0.0, 0.0]] * (RAVINE_STEPS + 1), np.zeros((RAVINE_STEPS, 2)),
                  np.zeros((RAVINE_STEPS + 1, 2), dtype=np.float32),
                  np.zeros((RAVINE_STEPS + 1, 3)),
                  np.zeros((RAVINE_STEPS + 1, 2)).view(np.matrix)):
        path, note = validate_path("update_parameters_with_gd", wrong)
        assert path is None and note.startswith("No picture")


def test_a_path_that_overflows_is_cut_where_it_left():
    path = np.zeros((RAVINE_STEPS + 1, 2))
    path[5:, 0] = np.inf
    kept, note = validate_path("update_parameters_with_adam", path)
    assert kept.shape == (5, 2) and "at step 5" in note


def test_a_path_that_is_nan_from_the_first_step_gives_no_picture():
    path = np.full((RAVINE_STEPS + 1, 2), np.nan)
    path[0] = (1.0, 1.0)
    kept, note = validate_path("update_parameters_with_adam", path)
    assert kept is None and note.startswith("No picture")


def test_right_parameters_are_kept_as_float64():
    parameters = {key: value.astype(np.float32) for key, value in initialize(DIMS, "he").items()}
    kept, note = validate_parameters("initialize_parameters_he", parameters, DIMS)
    assert note is None and all(value.dtype == np.float64 for value in kept.values())


def test_parameters_with_missing_keys_wrong_shapes_or_types_give_no_picture():
    right = initialize(DIMS, "he")
    for wrong in (None, [right], {"W1": right["W1"]}, {**right, "W3": right["W1"]},
                  {**right, "W1": right["W1"].T}, {**right, "b2": right["b2"].tolist()},
                  {**right, "W2": right["W2"].astype(np.int64)},
                  {**right, "W1": right["W1"] * np.nan}):
        kept, note = validate_parameters("initialize_parameters_he", wrong, DIMS)
        assert kept is None and note.startswith("No picture")

