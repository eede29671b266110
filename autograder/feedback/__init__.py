"""Feedback students want to read: one self-contained HTML report per student and assignment.

results.json (the grade, with the diagnosis of each graded name) -> the student's functions run
again in the isolated worker on public inputs -> pictures beside the reference's -> one page.

    write_report(submission, "optimization", results_json, out_dir, course_root)
    autograder feedback optimization --course assignments/ [--student S ...]
"""

from autograder.feedback.report import REPORT_NAME, write_report

__all__ = ["REPORT_NAME", "write_report"]
