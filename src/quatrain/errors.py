"""Every failure a user can cause or meet, one class per kind, each with its own exit code.

They are raised anywhere below the command line and caught in one place,
`quatrain.__main__.main`, which prints the message and exits with `return_code`.
A message says what failed, why, and what to do next.
"""

from __future__ import annotations


class QuatrainError(Exception):
    """Printed as `quatrain: error: <message>`; the process exits with `return_code`."""

    return_code: int = 1


class ConfigurationError(QuatrainError):
    """A bad value in [tool.quatrain], a QUATRAIN_* variable or a command-line flag."""

    return_code = 2


class ProjectError(QuatrainError):
    """The project on disk is not something quatrain can build: no pyproject, no lock, ..."""

    return_code = 3


class DetectionError(QuatrainError):
    """quatrain cannot tell how the project is served."""

    return_code = 4


class EngineError(QuatrainError):
    """The container engine is missing, not running, or lacks BuildKit."""

    return_code = 5


class BuildError(QuatrainError):
    """The engine ran the build and it failed."""

    return_code = 6


class VerifyError(QuatrainError):
    """The image was built but does not do what it should (serve, import, stop)."""

    return_code = 7


class WriteError(QuatrainError):
    """Writing the generated files would overwrite something of the user's."""

    return_code = 8


class RegistryError(QuatrainError):
    """A registry could not be reached, refused the engine's login, or lacks the image."""

    return_code = 9
