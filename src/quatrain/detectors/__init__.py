"""One detector per kind of app. Each reads the project (never runs it) and returns a ServeSpec,
None when the project is not its kind, or raises DetectionError when it is but is ambiguous.
detect.py orders them."""

from quatrain.detectors.candidates import ASGI_FRAMEWORKS
from quatrain.detectors.django import DjangoDetector
from quatrain.detectors.own_servers import AiohttpDetector, SanicDetector, StreamlitDetector
from quatrain.detectors.processes import CeleryDetector, CommandDetector, ConsoleScriptDetector
from quatrain.detectors.web import AsgiDetector, DashDetector, FlaskDetector

__all__ = [
    "ASGI_FRAMEWORKS",
    "AiohttpDetector",
    "AsgiDetector",
    "CeleryDetector",
    "CommandDetector",
    "ConsoleScriptDetector",
    "DashDetector",
    "DjangoDetector",
    "FlaskDetector",
    "SanicDetector",
    "StreamlitDetector",
]
