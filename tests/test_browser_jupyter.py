"""Jupyter in a real browser: nbgrader's formgrader shows our grades, and a student's JupyterLab
runs the released notebook's self-check.

Each server is a real ``jupyter server`` / ``jupyter lab`` on a free loopback port with a fresh
token (passed in the environment, never on a command line), its own config, runtime and settings
folders, stopped with its process group. Headless Chromium (Debian's, at the path ``chromium`` is
found) is driven by Playwright; no browser is downloaded. The instructor logs in through the
server's login form, as a person does.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import nbformat
import pytest
from support.grading import completed

CHROMIUM = shutil.which("chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None,
                       reason="chromium is not installed (apt-get install chromium)"),
]
playwright_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')")
expect = playwright_api.expect

REPO = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
ENV = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}",
       "COLUMNS": "200"}
ASSIGNMENT = "optimization"
MOMENTUM_MISTAKE = ("+ (1 - beta) * grads", "+ grads")  # the classic: no (1 - beta) factor
#: A server or a page on this shared 2-core machine can be slow; nothing here waits for nothing.
STARTUP_SECONDS = 90
PAGE_TIMEOUT_MS = 60_000
#: JupyterLab as a student keeps it, minus what gets in a test's way: every cell rendered (not
#: only those in view), and no news pop-up.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false", "checkForUpdates": False},
}


# --- servers and the browser --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _status_ok(url: str, token: str) -> bool:
    request = urllib.request.Request(f"{url}api/status",
                                     headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def jupyter(app: str, root: Path, home: Path) -> Iterator[tuple[str, str]]:
    """``jupyter APP`` serving ``root`` on 127.0.0.1; yields its URL and token, then stops it."""
    token = secrets.token_urlsafe(24)
    folders = {name: home / name
               for name in ("config", "runtime", "data", "lab-settings", "lab-workspaces")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    exchange = home / "exchange"  # nbgrader's exchange, away from /usr/local/share
    (folders["config"] / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.Exchange.root = {str(exchange)!r}\n")
    for name, settings in LAB_SETTINGS.items():
        (folders["lab-settings"] / name).parent.mkdir(parents=True, exist_ok=True)
        (folders["lab-settings"] / name).write_text(json.dumps(settings))
    env = {**ENV, "JUPYTER_TOKEN": token, "JUPYTER_CONFIG_DIR": str(folders["config"]),
           "JUPYTER_RUNTIME_DIR": str(folders["runtime"]), "JUPYTER_DATA_DIR": str(folders["data"]),
           "JUPYTERLAB_SETTINGS_DIR": str(folders["lab-settings"]),
           "JUPYTERLAB_WORKSPACES_DIR": str(folders["lab-workspaces"])}
    command = [str(VENV_BIN / "jupyter"), app, "--ip=127.0.0.1", f"--port={_free_port()}",
               "--ServerApp.open_browser=False", *(["--allow-root"] if os.geteuid() == 0 else [])]
    log_path = home / f"{app}.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    try:
        yield _serving_url(process, folders["runtime"], token, log_path), token
    finally:
        _stop(process)


def _serving_url(process: subprocess.Popen, runtime: Path, token: str, log_path: Path) -> str:
    """The URL the server writes into its runtime file (the port it got), once it answers."""
    deadline = time.monotonic() + STARTUP_SECONDS
    info = runtime / f"jpserver-{process.pid}.json"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"jupyter stopped (exit {process.returncode}):\n"
                        f"{log_path.read_text()[-3000:]}")
        if info.is_file():
            with contextlib.suppress(ValueError):
                url = json.loads(info.read_text())["url"]
                if _status_ok(url, token):
                    return url
        time.sleep(0.25)
    pytest.fail(f"jupyter did not answer in {STARTUP_SECONDS} s:\n{log_path.read_text()[-3000:]}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to the server's process group (it shuts its kernels down), SIGKILL if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser():
    expect.set_options(timeout=PAGE_TIMEOUT_MS)
    with playwright_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    yield context.new_page()
    context.close()


def log_in(page, url: str, token: str, path: str) -> None:
    """Through the server's login form (the token as the password), then to ``path``."""
    page.goto(f"{url}login?next={quote(path)}")
    page.fill("input[name=password]", token)
    page.click("#login_submit")
    page.wait_for_url(re.compile(re.escape(path)))


# --- the course ---------------------------------------------------------------------------------


def _autograder(*args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([str(VENV_BIN / "autograder"), *args], env=ENV, capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def released(tmp_path_factory) -> Path:
    """A copy of the bundled course with the assignment released by ``nbgrader
    generate_assignment``."""
    course = tmp_path_factory.mktemp("course") / "assignments"
    shutil.copytree(REPO / "assignments", course, ignore=shutil.ignore_patterns(
        "release", "submitted", "autograded", "feedback", "gradebook.db", "tools", "__pycache__"))
    done = subprocess.run(
        [str(VENV_BIN / "nbgrader"), "generate_assignment", ASSIGNMENT, "--force"],
        cwd=course, env=ENV, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return course


@pytest.fixture(scope="module")
def graded_course(released) -> Path:
    """ada submitted the solved notebook, bob the same with the momentum mistake; both graded."""
    source = completed(
        nbformat.read(released / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4))
    with_mistake = copy.deepcopy(source)
    for cell in with_mistake.cells:
        cell.source = cell.source.replace(*MOMENTUM_MISTAKE)
    for student, notebook in {"ada": source, "bob": with_mistake}.items():
        folder = released / "submitted" / student / ASSIGNMENT
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{ASSIGNMENT}.ipynb")
    _autograder("autograde", ASSIGNMENT, "--course", str(released), "--jobs", "2")
    return released


def results_of(course: Path, student: str) -> dict:
    return json.loads((course / "autograded" / student / ASSIGNMENT / "results.json").read_text())


@pytest.fixture(scope="module")
def formgrader(graded_course, tmp_path_factory) -> Iterator[tuple[str, str]]:
    with jupyter("server", graded_course, tmp_path_factory.mktemp("formgrader-home")) as server:
        yield server


def _total_in_submissions_table(page, student: str) -> float:
    """The "Score" cell (``X / 15``) of the student's row in formgrader's Manage Submissions."""
    row = page.locator("tr", has=page.locator("td", has_text=re.compile(rf"^{student}$")))
    expect(row).to_have_count(1)
    scores = [cell for cell in row.locator("td").all_inner_texts()
              if re.fullmatch(r"[\d.]+ / [\d.]+", cell.strip())]
    assert len(scores) == 1, row.inner_text()
    score, max_score = scores[0].split(" / ")
    assert float(max_score) == 15
    return float(score)


def _auto_score(page, name: str) -> float:
    """The auto score formgrader shows for a graded name: its score field's placeholder (set by
    the page's script once the grades have loaded)."""
    field = page.locator(f"input.score#test_{name}")
    expect(field).to_have_attribute("placeholder", re.compile(r"^\d"))
    return float(field.get_attribute("placeholder"))


def _open_submission(page, student: str) -> None:
    """From the student's page in Manage Students to the notebook formgrader grades by hand."""
    page.goto(page.url.split("/formgrader/")[0]
              + f"/formgrader/manage_students/{student}/{ASSIGNMENT}")
    page.click(f"td a:text-is('{ASSIGNMENT}')")
    page.wait_for_url(re.compile(r"/formgrader/submissions/"))
    page.wait_for_selector("input.score")


# --- formgrader ---------------------------------------------------------------------------------


def test_formgrader_shows_our_auto_scores_and_feedback_for_a_graded_student(
        formgrader, graded_course, page):
    url, token = formgrader
    log_in(page, url, token, f"/formgrader/manage_submissions/{ASSIGNMENT}")
    ada, bob = results_of(graded_course, "ada"), results_of(graded_course, "bob")
    assert _total_in_submissions_table(page, "ada") == ada["score"] == 15
    assert _total_in_submissions_table(page, "bob") == pytest.approx(bob["score"], abs=0.01)

    _open_submission(page, "bob")
    for test in bob["tests"]:
        assert _auto_score(page, test["name"]) == pytest.approx(test["score"], abs=0.01), (
            test["name"])
    comment = page.locator("textarea#update_parameters_with_momentum-comment")  # our feedback
    expect(comment).to_have_attribute("placeholder", re.compile(re.escape("(1 - beta)")))


def test_a_manual_grade_entered_in_formgrader_is_kept_after_autograde_force(
        formgrader, graded_course, page):
    url, token = formgrader
    log_in(page, url, token, f"/formgrader/manage_students/bob/{ASSIGNMENT}")
    _open_submission(page, "bob")
    momentum = page.locator("input.score#test_update_parameters_with_momentum")
    auto = _auto_score(page, "update_parameters_with_momentum")
    assert auto < 2  # the mistake cost points
    with page.expect_response(lambda response: "/formgrader/api/grade/" in response.url
                              and response.request.method == "PUT") as saved:
        momentum.fill("2")
        momentum.press("Tab")  # formgrader saves a score when the field changes
    assert saved.value.ok

    results = graded_course / "autograded" / "bob" / ASSIGNMENT / "results.json"
    before = results.stat().st_mtime_ns
    _autograder("autograde", ASSIGNMENT, "--course", str(graded_course), "--force",
                "--student", "bob")
    assert results.stat().st_mtime_ns > before  # graded again

    page.reload()
    expect(page.locator("input.score#test_update_parameters_with_momentum")).to_have_value("2")
    page.goto(f"{url}formgrader/manage_submissions/{ASSIGNMENT}")
    expected = results_of(graded_course, "bob")["score"] - auto + 2
    assert _total_in_submissions_table(page, "bob") == pytest.approx(expected, abs=0.01)


# --- the student's JupyterLab -------------------------------------------------------------------


def test_jupyterlab_runs_the_self_check_of_a_filled_in_exercise_and_shows_the_pass_line(
        released, tmp_path, page):
    """The released notebook, update_lr filled in as a student would; the student runs the
    imports, their function and its self-check cell with Shift+Enter."""
    work = tmp_path / "work"
    shutil.copytree(released / "release" / ASSIGNMENT, work)
    notebook = nbformat.read(work / f"{ASSIGNMENT}.ipynb", as_version=4)
    (solution,) = [cell for cell in notebook.cells
                   if cell.metadata.get("nbgrader", {}).get("grade_id") == "update_lr"]
    assert "raise NotImplementedError()" in solution.source
    solution.source = solution.source.replace(
        "raise NotImplementedError()", "return learning_rate0 / (1 + decay_rate * epoch_num)")
    nbformat.write(notebook, work / f"{ASSIGNMENT}.ipynb")

    with jupyter("lab", work, tmp_path / "home") as (url, token):
        log_in(page, url, token, f"/lab/tree/{ASSIGNMENT}.ipynb")

        def code_cell(text: str):
            cell = page.locator(".jp-Notebook .jp-CodeCell", has_text=text)
            expect(cell).to_have_count(1)
            return cell

        def run(cell, count: int) -> None:
            """Select the cell (again, while rendering math moves the page) and Shift+Enter it."""
            # the kernel is up
            expect(page.locator(".jp-StatusBar-Widget", has_text="| Idle")).to_have_count(1)
            for _ in range(10):
                cell.locator(".jp-InputPrompt").click()
                if "jp-mod-active" in (cell.get_attribute("class") or ""):
                    break
            page.keyboard.press("Shift+Enter")
            expect(cell.locator(".jp-InputPrompt")).to_have_text(re.compile(rf"\[{count}\]"))

        run(code_cell("import selfcheck"), 1)
        run(code_cell("def update_lr("), 2)
        check = code_cell('selfcheck.check("update_lr", update_lr)')
        run(check, 3)
        expect(check.locator(".jp-OutputArea-output")).to_have_text(
            re.compile(r"^\s*\u2714 update_lr: all \d+ self-checks passed\.\s*$"))
