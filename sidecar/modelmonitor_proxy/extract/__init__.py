"""Reading model payloads: KServe v1, Open Inference Protocol v2 and generic JSON paths.

Pure functions over bytes and parsed JSON (no HTTP here), so every wire shape, malformed ones
included, is unit-tested without a server.
"""

from modelmonitor_proxy.extract.detect import Extractor, detect_protocol
from modelmonitor_proxy.extract.extraction import ErrorKind, Extraction, ExtractionFailure, Inputs

__all__ = ["ErrorKind", "Extraction", "ExtractionFailure", "Extractor", "Inputs", "detect_protocol"]
