"""Tools for policy authors and reviewers: fmt, test generation, semantic diff, replay."""
