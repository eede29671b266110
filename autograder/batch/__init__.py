"""Grading a whole round of an nbgrader course: every ``submitted/<student>/<id>/``.

roster     -> which submissions exist, which are already graded (resume), atomic files
grader     -> one submission in a pool worker: the same ``grade`` / ``grade_quiz`` as
              ``autograder grade``, a failure of the grader itself becomes a row, not a crash
run        -> the worker pool, progress bar, results.json then gradebook after each result
gradebook  -> our scores into nbgrader's own database (auto_score only, never manual_score)
export     -> the per-question CSV that ``nbgrader export`` lacks
commands   -> ``autograder autograde`` and ``autograder export``
"""
