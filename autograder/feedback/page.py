"""The report page: results.json and the pictures -> one self-contained, escaped HTML page.

Every string from results.json is student-derived and escaped (jinja2 autoescape). The page has
no script and a Content-Security-Policy that forbids any, loads nothing from outside (images are
data URIs, styles inline), and reads the same without JavaScript or CSS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import jinja2

from autograder.feedback.figures import Picture

_TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>
  body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1d1d1f;
         max-width: 62rem; margin: 1.5rem auto; padding: 0 1rem; line-height: 1.45; }
  h1 { font-size: 1.5rem; margin-bottom: .2rem; }
  h2 { font-size: 1.15rem; margin: 2rem 0 .4rem; border-bottom: 1px solid #ddd; padding-bottom: .2rem; }
  .total { font-size: 1.25rem; margin: .3rem 0 1rem; }
  .total strong { font-size: 1.8rem; }
  table { border-collapse: collapse; width: 100%; }
  th, td { text-align: left; padding: .3rem .5rem; border-bottom: 1px solid #eee; vertical-align: middle; }
  td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
  .bar { background: #eceff1; border-radius: 3px; height: .8rem; width: 12rem; overflow: hidden; }
  .bar span { display: block; height: 100%; }
  .full { background: #2e7d32; } .partial { background: #f9a825; } .none { background: #c62828; }
  .status-full { color: #2e7d32; } .status-partial { color: #8d6e00; } .status-none { color: #c62828; }
  pre { background: #f6f8fa; border: 1px solid #e1e4e8; border-radius: 4px; padding: .6rem .8rem;
        white-space: pre-wrap; overflow-wrap: anywhere;
        font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: .88rem; }
  figure { margin: .8rem 0; }
  figure img { max-width: 100%; height: auto; border: 1px solid #eee; }
  figcaption, .note { color: #444; font-size: .92rem; }
  .note { border-left: 3px solid #f9a825; padding-left: .6rem; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  footer { margin-top: 2.5rem; color: #555; font-size: .85rem; border-top: 1px solid #ddd; padding-top: .6rem; }
</style>
</head>
<body>
<header>
<h1>{{ title }}</h1>
{% if student %}<p>Student: {{ student }}</p>{% endif %}
<p class="total" id="total-score">Total: <strong>{{ score }}</strong> / {{ max_score }} points</p>
</header>
<main>
<section aria-labelledby="summary-heading">
<h2 id="summary-heading">Score per graded name</h2>
<table>
<thead><tr><th scope="col">graded name</th><th scope="col">score</th><th scope="col"><span class="visually-hidden">share of points</span></th><th scope="col">status</th></tr></thead>
<tbody>
{% for item in items %}
<tr>
<td><a href="#{{ item.anchor }}"><code>{{ item.name }}</code></a></td>
<td class="num">{{ item.score }} / {{ item.max_score }}</td>
<td><div class="bar" aria-hidden="true"><span class="{{ item.level }}" style="width: {{ item.percent }}%"></span></div></td>
<td class="status-{{ item.level }}">{{ item.status }}</td>
</tr>
{% endfor %}
</tbody>
</table>
</section>
{% if summary %}
<section aria-labelledby="grader-heading">
<h2 id="grader-heading">From the grader</h2>
<pre>{{ summary }}</pre>
</section>
{% endif %}
{% for item in items %}
<section id="{{ item.anchor }}" aria-labelledby="{{ item.anchor }}-heading">
<h2 id="{{ item.anchor }}-heading"><code>{{ item.name }}</code>: {{ item.score }} / {{ item.max_score }}{% if item.later %} <small>(shown after the due date)</small>{% endif %}</h2>
<pre>{{ item.output }}</pre>
{% for picture in item.pictures %}
<figure>
<img src="{{ picture.data_uri }}" alt="{{ picture.alt }}">
<figcaption>{{ picture.caption }}</figcaption>
</figure>
{% endfor %}
{% if item.note %}<p class="note">{{ item.note }}</p>{% endif %}
</section>
{% endfor %}
</main>
<footer>
{% for line in footer %}<p>{{ line }}</p>{% endfor %}
</footer>
</body>
</html>
"""  # noqa: E501, RUF100 -- the page's text: wrapping it would change the HTML

_ENVIRONMENT = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)


@dataclass
class Item:
    """One graded name as the page shows it."""

    name: str
    score: str
    max_score: str
    percent: float
    level: str
    status: str
    output: str
    anchor: str
    later: bool = False
    pictures: list[Picture] = field(default_factory=list)
    note: str | None = None


def _number(value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, OverflowError):
        return 0.0
    return number if math.isfinite(number) else 0.0


def _points(value: float) -> str:
    return f"{value:.4g}"


def item(test: Mapping, index: int, pictures: list[Picture], note: str | None) -> Item:
    """A test of results.json (untrusted fields coerced to plain text and numbers)."""
    score, max_score = _number(test.get("score")), _number(test.get("max_score"))
    share = min(max(score / max_score, 0.0), 1.0) if max_score > 0 else 1.0
    level = "full" if share >= 1.0 else "partial" if share > 0 else "none"
    status = {
        "full": "\u2714 full marks", "partial": "partly right", "none": "\u2718 no points",
    }[level]
    return Item(
        name=str(test.get("name", f"item {index + 1}")),
        score=_points(score),
        max_score=_points(max_score),
        percent=round(100 * share, 1),
        level=level,
        status=status,
        output=str(test.get("output", "")),
        anchor=f"item-{index + 1}",
        later=test.get("visibility") in ("after_due_date", "after_published"),
        pictures=pictures,
        note=note,
    )


def isolation_line(isolation: object) -> str:
    """How isolated the student's code ran, from extra_data.isolation (layer -> on / off: why)."""
    if not isinstance(isolation, Mapping) or not isolation:
        return "Isolation: not recorded."
    off = [
        f"{layer} ({str(state).removeprefix('off: ')})"
        for layer, state in isolation.items()
        if state != "on"
    ]
    if not off:
        return f"Your code ran in an isolated worker with all {len(isolation)} isolation layers on."
    return f"Your code ran in an isolated worker; layers off on this machine: {'; '.join(off)}."


def render(results_json: Mapping, items: list[Item], title: str, student: str | None = None,
           rerun: bool = False) -> str:
    """The whole page; ``items`` in the order of results.json's tests."""
    extra = (results_json.get("extra_data")
             if isinstance(results_json.get("extra_data"), Mapping) else {})
    footer = []
    seed = extra.get("seed")
    if type(seed) is int:
        footer.append(f"Hidden cases were drawn with seed {seed}; an instructor can reproduce "
                      f"this grade with autograder grade --seed {seed}.")
    footer.append(isolation_line(extra.get("isolation")))
    if rerun:
        footer.append("Pictures: your functions were run again in the isolated worker on the "
                      "public examples shown (the ravine, layer widths 128), beside the course's "
                      "reference.")
    # the first line is the score
    summary_lines = str(results_json.get("output", "")).splitlines()[1:]
    summary = "\n".join(
        line for line in summary_lines if not line.startswith(("Hidden cases drawn", "Isolation"))
    )
    return _ENVIRONMENT.from_string(_TEMPLATE).render(
        title=title,
        student=student,
        score=_points(_number(results_json.get("score"))),
        max_score=_points(_number(
            results_json.get("max_score", sum(_number(i.max_score) for i in items))
        )),
        items=items,
        summary=summary,
        footer=footer,
    )
