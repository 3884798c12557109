"""HTTP surface: the FastAPI app, its lifespan, one router per surface, and what routes depend on (`deps`).

`pydantic.v1` is marked absent in this process: FastAPI imports it on every route it registers only to
refuse pydantic v1 models (none here; nothing else installed imports it), and takes the ImportError path
it keeps for a pydantic without v1. ~24 ms of CPU off `import api.main`, ~0.24 s of wall time before the
port opens at Render's 0.1 CPU (`.venv/bin/python -X importtime -c 'import api.main'`, pydantic.v1).

The cyclic garbage collector is off from here to the end of api/main.py (which turns it on again and freezes
what the imports built): the imports allocate ~100,000 tracked objects (`gc.get_freeze_count()`) that live as
long as the process, and the collections they trigger (one full) only scan them. `import api.main` 371-464 ms
of CPU with the collector, 322-405 without (`.venv/bin/python -c 'import gc, time; gc.disable(); import
api.main; print(time.process_time())'` against the same without `gc.disable()`, five runs each): ~0.4 s of
wall time at 0.1 CPU. Frozen, those objects are skipped by every later full collection, too.
"""

import gc
import sys

gc.disable()  # on again at the end of api/main.py
sys.modules.setdefault("pydantic.v1", None)  # type: ignore[arg-type]  # `import pydantic.v1` raises ImportError
