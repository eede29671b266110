"""``make demo``: the reference optimizers compared, then a grading round on bundled samples.

1. Trains the reference optimizers on two moons and prints their final cost and accuracy.
2. Grades four bundled submissions with the isolated grader: the instructor's solution notebook,
   a module with three classic mistakes, a hostile module, and a quiz answer sheet.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console

from autograder import course
from autograder.grading import grade
from autograder.quiz.grade import grade_quiz
from autograder.results import print_table, write_results
from reference import tour

SAMPLES = Path(__file__).with_name("samples")
TOUR_EPOCHS = 2000


def main() -> None:
    console = Console()
    console.rule("1. The reference optimizers on two moons")
    console.print(tour.table(tour.compare(num_epochs=TOUR_EPOCHS), TOUR_EPOCHS))

    course_root = course.default_course_root()
    submissions = [
        ("the instructor's solution notebook", course.source_notebook(course_root, "optimization"), "optimization"),
        ("a module with three classic mistakes", SAMPLES / "optimization_mistakes.py", "optimization"),
        ("a hostile module (np.allclose patched, os._exit, forged results)", SAMPLES / "optimization_exploit.py", "optimization"),
        ("a quiz answer sheet", SAMPLES / "optimization_quiz_answers.py", "optimization_quiz"),
    ]
    with tempfile.TemporaryDirectory() as out:
        for number, (title, path, assignment) in enumerate(submissions, start=2):
            console.rule(f"{number}. Grading {title}")
            if assignment == "optimization":
                report = grade(path, assignment, course_root)
            else:
                report = grade_quiz(path, assignment, course_root.parent)
            write_results(report, Path(out) / f"{number}.json")
            print_table(report, console)
    console.print("Grade your own: autograder grade SUBMISSION --assignment optimization")


if __name__ == "__main__":
    main()
