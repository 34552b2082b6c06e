"""The demo's error type: a missing, wrong or damaged model file, named with the way to fix it."""

from routellm_core.errors import RouteLLMError


class DemoModelError(RouteLLMError):
    """A demo model package that is missing, has the wrong version, or whose weights fail the sha256 check."""
