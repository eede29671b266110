"""nbgrader course configuration: this folder is the course root.

Run nbgrader from here, e.g. ``nbgrader generate_assignment optimization --force``; the student
version is written to ``release/<assignment_id>/``.
"""

import os

c = get_config()  # noqa: F821 - injected by nbgrader when it loads this file

_COURSE_ROOT = os.path.dirname(os.path.abspath(__file__))

c.CourseDirectory.course_id = "optinit"
c.CourseDirectory.root = _COURSE_ROOT
c.CourseDirectory.db_url = "sqlite:///" + os.path.join(_COURSE_ROOT, "gradebook.db")
# Helper modules ship beside each notebook; compiled files, checkpoints and a course secret
# left in a source folder by mistake never do.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback",
                            ".autograder_secret*"]

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
# Demos train small networks for a few seconds; leave room on slow machines.
c.Execute.timeout = 300
