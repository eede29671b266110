"""Text that came from a student, made safe for each place we write it.

Exception messages, printed output, cell sources, file and folder names and student ids are
untrusted in every output: one odd character must neither stop grading for the class nor make
a terminal, a spreadsheet, GitHub or a web page do something. Each output gets one function:

- :func:`text`: every output. Lone surrogates, C0 and C1 controls (ESC, CSI, NUL, bell, ...),
  bidi overrides and Unicode line separators become visible escapes such as ``\\x1b`` or
  ``\\u202e``, so the student still sees what was there and nothing is obeyed or reordered;
  ``\\r\\n`` and ``\\r`` become ``\\n``; ``\\n`` and ``\\t`` stay unless ``one_line``. The result
  encodes as UTF-8 and ``splitlines()`` splits it at ``\\n`` only.
- :func:`score`: a score read back from a results.json (a finite number, else 0).
- :func:`json_safe`: a results dict whose every string went through :func:`text`.
- :func:`feedback_line`: the one line of a result a table shows, nothing before publication.
- :func:`terminal`: a rich ``Text``, never read as rich markup.
- :func:`csv_cell`: one line, and a spreadsheet never evaluates it (OWASP CSV injection).
- :func:`markdown_inline`: inline Markdown (GitHub) that shows the text and makes no link, image,
  HTML, math, emphasis or block.
- :func:`markdown_text`: markdown cells (a notebook copy) that render as their own text.
- :func:`markdown_verbatim`: Markdown that shows multi-line text as it is (a code block).
"""

from __future__ import annotations

import html
import math
import re

from rich.text import Text

#: Shown instead of the feedback of a result whose visibility is not "visible" yet (a quiz with
#: explanations after the due date): GitHub Actions logs and job summaries are read by the student.
HIDDEN = "(shown when the results are published)"
_FAILED_CHECK = "\u2718"

_LINE_ENDS = re.compile(r"\r\n?")
_UNSAFE = (
    "\x00-\x08\x0b-\x1f\x7f-\x9f"  # C0 but \t \n, DEL, C1 (ESC, CSI as \x9b, NEL, ...)
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"  # bidi marks, embeddings, overrides, isolates
    "\u2028\u2029"  # line and paragraph separators: new lines to str.splitlines and some viewers
    "\ud800-\udfff"  # lone surrogates: not encodable in UTF-8
)
_UNSAFE_IN_TEXT = re.compile(f"[{_UNSAFE}]")
_UNSAFE_IN_LINE = re.compile(f"[{_UNSAFE}\t\n]")
_NAMED = {"\t": "\\t", "\n": "\\n"}

#: A spreadsheet evaluates a cell starting (after spaces) with these (fullwidth forms included).
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")

#: Inline Markdown: ASCII punctuation with a meaning anywhere in a line (links, images, HTML,
#: entities, math, code, emphasis, strikethrough, table cells), an underscore that could open or
#: close emphasis, and the starts of GitHub's autolinks (``x://``, ``www.``, ``a@b.c``, @mentions).
_MARKDOWN = re.compile(r"[\\`*\[\]!#|~<>&$]|(?<![^\W_])_|_(?![^\W_])|:(?=//)|(?<=[wW]{3})\.|@")
_MARKDOWN_REPLACEMENTS = {"<": "&lt;", ">": "&gt;", "&": "&amp;", "@": "@\u2060"}
#: At the start of a line: a list item, a setext underline or an ordered list ("1." / "1)").
_BLOCK_START = re.compile(r"^(?:[-+=]|\d{1,9}[.)])")


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text(value: object, *, one_line: bool = False) -> str:
    """``value`` as text that is safe to write anywhere (see the module's rules)."""
    raw = _LINE_ENDS.sub("\n", value if isinstance(value, str) else str(value))
    return (_UNSAFE_IN_LINE if one_line else _UNSAFE_IN_TEXT).sub(_visible, raw)


def feedback_line(output: object, visibility: object = "visible") -> str:
    """The line of a result's feedback to act on: its first failing check, else its first line
    (safe text); :data:`HIDDEN` while the result is not visible."""
    if visibility != "visible":
        return HIDDEN
    lines = text(output).splitlines()
    failing = [line for line in lines if line.startswith(_FAILED_CHECK)]
    return failing[0] if failing else (lines[0] if lines else "")


def score(value: object) -> float:
    """A score from a results.json; anything but a finite real number (a forged file) counts 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    try:
        value = float(value)
    except OverflowError:
        return 0.0
    return value if math.isfinite(value) else 0.0


def json_safe(value: object) -> object:
    """A copy of a JSON-like value with every string (keys too) through :func:`text` and every
    non-finite float (not JSON) replaced by 0."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, dict):
        return {text(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return 0.0
    return value


def terminal(value: object, style: str = "") -> Text:
    """Text for a rich console: control characters shown as escapes, brackets never markup."""
    return Text(text(value), style=style)


def csv_cell(value: object) -> str:
    """A text cell of a CSV: one line, prefixed with ``'`` when a spreadsheet would read a formula.

    OWASP's rule: a cell starting with ``=``, ``+``, ``-``, ``@``, tab or CR is a formula; tab and
    CR are already escapes here, and spaces before the sign do not stop Excel or LibreOffice.
    """
    cell = text(value, one_line=True)
    return "'" + cell if cell.lstrip().startswith(_FORMULA_START) else cell


def markdown_inline(value: object) -> str:
    """One line of Markdown that renders as the text itself (a newline shows as ``\\n``).

    ``<``, ``>`` and ``&`` become entities; other significant punctuation is backslash-escaped;
    a line cannot start a list, heading or quote; ``@`` is followed by a word joiner (U+2060),
    because GitHub links e-mail addresses and @mentions even when the ``@`` is escaped.
    """
    line = _MARKDOWN.sub(
        lambda match: _MARKDOWN_REPLACEMENTS.get(match.group(), "\\" + match.group()),
        text(value, one_line=True),
    )
    return _BLOCK_START.sub(lambda match: match.group()[:-1] + "\\" + match.group()[-1], line)


def markdown_text(text: str) -> str:
    """Markdown cells that render as their own text, lines kept (a notebook copy formgrader
    renders): no HTML (``&``, ``<``, ``>`` as entities) and no link or image (brackets as
    entities), so neither a script nor a ``javascript:`` URL."""
    return html.escape(text, quote=False).replace("[", "&#91;").replace("]", "&#93;")


def markdown_verbatim(value: object) -> str:
    """Markdown that shows multi-line text exactly: an indented code block.

    Every line is indented four spaces, so no line can end the block; renderers HTML-escape a code
    block and make no link, image, emphasis or math in it (MathJax skips ``<pre>`` and ``<code>``).
    """
    return "\n".join("    " + line for line in text(value).split("\n"))
