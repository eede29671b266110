# A sample quiz submission: two right, one partly right multiple choice, one wrong, one malformed.
most_variance = "A"
not_true_gradient_descent = "b"
always_global_minimum = "A"
least_successful_ravine = ["B"]
different_influence = ["A", "C", "D"]
