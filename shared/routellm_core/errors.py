"""Error types. Each names the problem; all are ValueError so callers can catch broadly."""


class RouteLLMError(ValueError):
    """Base class for every error this package raises on bad input."""


class UnknownRouterError(RouteLLMError):
    """A router name that is neither bundled nor a checkpoint directory."""


class CheckpointError(RouteLLMError):
    """A checkpoint directory that is missing files, malformed or inconsistent."""


class ConversationError(RouteLLMError):
    """A conversation that cannot be routed (empty, wrong types)."""
