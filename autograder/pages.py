"""The frame every HTML page of the grader shares (feedback reports, statistics): ``page.html``.

``templates/page.html`` holds what both pages must get right the same way: a Content-Security-
Policy that forbids any script and loads nothing from outside (images are data URIs, styles
inline), the shared styles, the title, the footer. A page's own template extends it and fills in
its blocks (``width``, ``style``, ``content``, ``footer``). Autoescape is on: the strings a page
shows come from student-derived results.
"""

from __future__ import annotations

from pathlib import Path

import jinja2

_SHARED = Path(__file__).with_name("templates")


def environment(templates: Path) -> jinja2.Environment:
    """A jinja2 environment for the page templates in `templates`, which extend ``page.html``."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader([templates, _SHARED]),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
