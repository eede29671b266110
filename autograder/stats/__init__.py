"""Class analytics of a graded round: ``autograder stats ID``.

A pipeline of small steps, one module each:

    results.json files   reading.py    read_round (autograded/<student>/ID/) or read_glob,
                                       as hostile bytes: no link followed, size capped,
                                       shape checked
    -> the statistics    compute.py    pure functions (per graded name, per quiz item)
    -> files             writing.py    ID_stats.json (CONTRACT.md 4.1) and ID_stats.csv
                         page.py       ID_stats.html (templates/stats.html), pictures by plots.py

    autograder stats optimization --course assignments/          # -> assignments/stats/
    autograder stats optimization --results-glob 'downloads/*/results.json' --output stats/
"""

from autograder.stats.compute import class_statistics
from autograder.stats.questions import Question, UnknownAssignment, questions_of
from autograder.stats.reading import RoundError, read_glob, read_round

__all__ = ["Question", "RoundError", "UnknownAssignment", "class_statistics", "questions_of",
           "read_glob", "read_round"]
