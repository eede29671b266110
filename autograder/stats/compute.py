"""The class's statistics: the students' results -> one dict (``<ID>_stats.json``), pure functions.

Per graded name (exercise or quiz item), over the students whose results.json has it:

- ``graded``, ``mean`` and ``median`` score, ``full_marks`` (score >= the test's max_score) and
  its share, ``difficulty`` (the mean share of the points, each share clipped to [0, 1]) and a
  ``histogram`` of those shares in :data:`BINS` equal bins (the last one closed: full marks land
  in it).
- ``discrimination``: the corrected item-total correlation, :data:`DISCRIMINATION`.
- ``mistakes``: each catalogued mistake named in a wrong answer, with how many students made it
  (``mistake_students``: which), most frequent first; ``unexplained``: :data:`UNEXPLAINED`;
  ``problems``: wrong answers the grader could not check at all (the cell is missing or could not
  run, ``NotImplementedError``), by kind.
- Choice items: ``choices``, the distractor table: for each letter picked at least once, how many
  students picked it and the mean total score (over the whole assignment) of those who did;
  every letter of the bank is in ``letters``, the key in ``answer``, and ``no_answer`` counts the
  answers that picked no letter of the bank. Free-response items: ``answered`` and
  ``awaiting_manual``. Items graded in per-student ``variants`` are counted together under the
  item id (their letters are the bank's); ``variants`` says how many students were graded in a
  variant and how many distinct variants they had.

Every sum is ``math.fsum`` (exact, then rounded once), so the order of the students changes
nothing; reported numbers are rounded to :data:`DIGITS` decimals.
"""

from __future__ import annotations

import math
import statistics as pystats
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from autograder.stats.questions import EXERCISE, FREE_RESPONSE, Question
from autograder.stats.reading import Answer, Skipped, StudentResults

BINS = 10
#: Fewer students than this: no discrimination (a correlation of two points is always +-1).
MIN_STUDENTS = 3
DIGITS = 6
#: A free-response answer the quiz grader recorded (when results.json has no ``answered``).
RECORDED = "Your answer as recorded:"

DISCRIMINATION = (
    "the Pearson correlation, over the students graded on the name, between their score on it "
    "and the rest of their score on the assignment (their total minus this name); null when "
    f"fewer than {MIN_STUDENTS} students were graded on it or when either score is the same for "
    "all of them (zero variance). Near 1: the students who do well on the rest do well here; "
    "near 0 or negative: the name does not separate them."
)
UNEXPLAINED = (
    "the wrong answers (score below the test's max_score) no catalogued mistake explains. An "
    "exercise: no mistake named, or some hidden case failing in a way no named mistake explains "
    "(a function that is missing, raises or cannot run counts here too; see problems). A choice "
    "item: an answer that picked no letter of the bank (unanswered or malformed); a wrong pick is "
    "explained by its letter in choices. A free-response item: never (it is graded by hand)."
)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, DIGITS)


def _points(value: float) -> float:
    """A sum of scores, rounded far below any score's precision: equal sums compare equal."""
    return round(value, 9)


def mean(values: Sequence[float]) -> float | None:
    return math.fsum(values) / len(values) if values else None


def median(values: Sequence[float]) -> float | None:
    return float(pystats.median(values)) if values else None


def correlation(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Pearson's r of two equally long sequences, in [-1, 1]; None when fewer than
    :data:`MIN_STUDENTS` pairs or when either sequence is constant."""
    if len(xs) != len(ys) or len(xs) < MIN_STUDENTS or len(set(xs)) < 2 or len(set(ys)) < 2:
        return None
    mean_x, mean_y = mean(xs), mean(ys)
    dx, dy = [x - mean_x for x in xs], [y - mean_y for y in ys]
    sxx, syy = math.fsum(d * d for d in dx), math.fsum(d * d for d in dy)
    if sxx == 0 or syy == 0:
        return None
    r = math.fsum(a * b for a, b in zip(dx, dy)) / math.sqrt(sxx * syy)
    return min(1.0, max(-1.0, r))


def share(score: float, max_score: float) -> float:
    """The share of the points, clipped to [0, 1] (a test worth nothing counts as full)."""
    if max_score <= 0:
        return 1.0
    return min(1.0, max(0.0, score / max_score))


def histogram(shares: Iterable[float], max_score: float) -> dict[str, list]:
    """Counts of the shares in BINS equal bins of [0, 1], and the bins' edges in points."""
    counts = [0] * BINS
    for value in shares:
        counts[min(BINS - 1, math.floor(round(value * BINS, 9)))] += 1
    return {"edges": [round(max_score * k / BINS, DIGITS) for k in range(BINS + 1)],
            "counts": counts}


def _ranked(counter: Counter) -> dict[str, int]:
    """Most frequent first; ties in alphabetical order (so no order of the students matters)."""
    return dict(sorted(counter.items(), key=lambda pair: (-pair[1], pair[0])))


class _Graded:
    """One name's graded answers: per student, the test, its max score, the rest and total."""

    def __init__(self, question: Question, students: Sequence[StudentResults],
                 totals: Mapping[str, float], names: Sequence[str]):
        self.question = question
        self.answers: list[tuple[str, Answer, float]] = []
        self.rest: list[float] = []
        self.totals: list[float] = []
        for student in students:
            test = student.tests.get(question.name)
            if test is None:
                continue
            top = question.max_score if test.max_score is None else test.max_score
            self.answers.append((student.student, test, top))
            others = [student.tests[n].score for n in names
                      if n != question.name and n in student.tests]
            self.rest.append(_points(math.fsum(others)))
            self.totals.append(totals[student.student])

    @property
    def scores(self) -> list[float]:
        return [test.score for _, test, _ in self.answers]

    def wrong(self) -> list[tuple[str, Answer]]:
        return [(student, test) for student, test, top in self.answers if test.score < top]


def _exercise(graded: _Graded) -> dict:
    mistakes: dict[str, list[str]] = {}
    problems: Counter = Counter()
    unexplained = []
    for student, test in graded.wrong():
        named = test.data.get("mistakes") or []
        for message in named:
            mistakes.setdefault(message, []).append(student)
        if not named or test.data.get("unexplained", 0) > 0:
            unexplained.append(student)
        if test.data.get("problem"):
            problems[test.data["problem"]] += 1
    counts = _ranked(Counter({message: len(who) for message, who in mistakes.items()}))
    return {
        "mistakes": counts,
        "unexplained": len(unexplained),
        "mistake_students": {message: sorted(mistakes[message]) for message in counts},
        "unexplained_students": sorted(unexplained),
        "problems": _ranked(problems),
    }


def _choice(graded: _Graded) -> dict:
    question = graded.question
    picked: dict[str, list[float]] = {letter: [] for letter in question.letters}
    no_answer, unexplained = [], []
    for (student, test, top), total in zip(graded.answers, graded.totals):
        letters = [letter for letter in test.data.get("picked") or [] if letter in picked]
        for letter in letters:
            picked[letter].append(total)
        if not letters:
            no_answer.append(student)
            if test.score < top and not test.data.get("manual"):
                unexplained.append(student)
    return {
        "mistakes": {},
        "unexplained": len(unexplained),
        "choices": {
            letter: {"picked": len(totals), "mean_total": _round(mean(totals))}
            for letter, totals in picked.items() if totals
        },
        "letters": list(question.letters),
        "answer": list(question.answer),
        "no_answer": len(no_answer),
        "unexplained_students": sorted(unexplained),
    }


def _answered(test: Answer) -> bool:
    answered = test.data.get("answered")
    return answered if isinstance(answered, bool) else RECORDED in test.output


def _other_item(graded: _Graded) -> dict:
    """A free-response item, or a quiz item of another type (no catalogue: a wrong answer is
    unexplained unless it waits for a hand grade)."""
    manual = sum(test.data.get("manual") is True for _, test, _ in graded.answers)
    if graded.question.kind == FREE_RESPONSE:
        answered = sum(_answered(test) for _, test, _ in graded.answers)
        return {"mistakes": {}, "unexplained": 0, "answered": answered, "awaiting_manual": manual}
    unexplained = sorted(s for s, test in graded.wrong() if not test.data.get("manual"))
    return {"mistakes": {}, "unexplained": len(unexplained), "awaiting_manual": manual,
            "unexplained_students": unexplained}


def _name_stats(graded: _Graded) -> dict:
    question, scores = graded.question, graded.scores
    shares = [share(test.score, top) for _, test, top in graded.answers]
    full = sum(test.score >= top for _, test, top in graded.answers)
    if question.kind == EXERCISE:
        specific = _exercise(graded)
    elif question.is_choice:
        specific = _choice(graded)
    else:
        specific = _other_item(graded)
    stats = {
        "max_score": question.max_score,
        "graded": len(scores),
        "mean": _round(mean(scores)),
        "full_marks": full,
        "discrimination": _round(correlation(scores, graded.rest)),
        "mistakes": specific.pop("mistakes"),
        "unexplained": specific.pop("unexplained"),
    }
    if "choices" in specific:
        stats["choices"] = specific.pop("choices")
    stats |= {
        "kind": question.kind,
        "median": _round(median(scores)),
        "full_marks_share": _round(full / len(scores)) if scores else None,
        "difficulty": _round(mean(shares)),
        "histogram": histogram(shares, question.max_score),
        **specific,
    }
    variants = [test.data["variant"] for _, test, _ in graded.answers if "variant" in test.data]
    if variants:
        stats["variants"] = {"students": len(variants), "distinct": len(set(variants))}
    return stats


def class_statistics(assignment: str, questions: Sequence[Question],
                     students: Sequence[StudentResults], skipped: Sequence[Skipped] = ()) -> dict:
    """The statistics of a round (the JSON of ``autograder stats``, CONTRACT.md 4.1 and more)."""
    names = [question.name for question in questions]
    students = sorted(students, key=lambda student: student.student)
    totals = {
        student.student: _points(
            math.fsum(student.tests[n].score for n in names if n in student.tests)
        )
        for student in students
    }
    per_name = {question.name: _name_stats(_Graded(question, students, totals, names))
                for question in questions}
    max_total = math.fsum(question.max_score for question in questions)
    top = [
        {"name": name, "message": message, "students": count}
        for name, stats in per_name.items() for message, count in stats["mistakes"].items()
    ]
    top.sort(key=lambda entry: (-entry["students"], names.index(entry["name"]), entry["message"]))
    total_scores = list(totals.values())
    return {
        "assignment": assignment,
        "students": len(students),
        "names": per_name,
        "max_score": max_total,
        "total": {
            "mean": _round(mean(total_scores)),
            "median": _round(median(total_scores)),
            "histogram": histogram((share(t, max_total) for t in total_scores), max_total),
        },
        "top_mistakes": top,
        "skipped": [{"student": entry.who, "reason": entry.reason}
                    for entry in sorted(skipped, key=lambda entry: (entry.who, entry.reason))],
        "definitions": {"discrimination": DISCRIMINATION, "unexplained": UNEXPLAINED},
    }
