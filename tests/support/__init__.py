"""Helpers the tests share (not tests themselves): ``grading`` (submissions and the CLI),
``feedback`` (a graded course and chromium), ``stats`` (a graded course for the statistics),
``sandbox_levels`` (hosts with fewer isolation layers)."""
