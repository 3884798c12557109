"""HTTP surface: the FastAPI app, its lifespan, one router per surface, and what routes depend on (`deps`).

`pydantic.v1` is marked absent in this process: FastAPI imports it on every route it registers only to
refuse pydantic v1 models (none here; nothing else installed imports it), and takes the ImportError path
it keeps for a pydantic without v1. ~24 ms of CPU off `import api.main`, ~0.24 s of wall time before the
port opens at Render's 0.1 CPU (`.venv/bin/python -X importtime -c 'import api.main'`, pydantic.v1).
"""

import sys

sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]  # `import pydantic.v1` raises ImportError
