"""`python -m quatrain.settings` prints the schema of [tool.quatrain] that the options make, the
file shipped as resources/quatrain.schema.json."""

from __future__ import annotations

import json
import sys

from quatrain.settings.options import json_schema

json.dump(json_schema(), sys.stdout, indent=2)
sys.stdout.write("\n")
