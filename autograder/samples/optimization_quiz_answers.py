# A sample quiz submission: two right, one partly right multiple choice, one wrong, one malformed,
# and the two questions of alice's own answered with dave's right answers, copied: dave saw the
# choices of adam_bias_correction in another order and other numbers in scheduled_learning_rate,
# so neither earns alice anything (`autograder quiz variant optimization_quiz -s alice -s dave`).
most_variance = "A"
not_true_gradient_descent = "b"
always_global_minimum = "A"
least_successful_ravine = ["B"]
different_influence = ["A", "C", "D"]
adam_bias_correction = "D"
scheduled_learning_rate = 0.1
