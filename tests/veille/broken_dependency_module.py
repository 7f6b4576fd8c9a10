"""A module that exists but whose dependency does not (see test_pipeline)."""

import veille_dependency_that_does_not_exist  # noqa: F401
