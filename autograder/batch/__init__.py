"""Grading a whole round of an nbgrader course: every ``submitted/<student>/<id>/``.

roster     -> which submissions exist, which are already graded (resume), atomic files
grader     -> one submission: the same ``grade`` / ``grade_quiz`` as ``autograder grade``, or its
              two halves (prepare, judge) around a remote sandbox; a failure of the grader
              itself becomes a row, not a crash
run        -> the pipeline: collect -> grade with an executor -> record (results.json, then
              gradebook) after each result, with the progress bar
executors  -> where grading runs: the local pool of grading processes (``pool``), crash-isolated
cluster    -> or a Dask distributed cluster whose workers run only the sandbox (``--scheduler``)
gradebook  -> our scores into nbgrader's own database (auto_score only, never manual_score)
export     -> the per-question CSV that ``nbgrader export`` lacks
commands   -> ``autograder autograde`` and ``autograder export``
"""
