"""cmokit: data extraction for realist reviews."""

import os as _os
import sys as _sys

__version__ = "0.1.0"

# polars' allocator (jemalloc, on Linux) keeps freed memory for 10 s by default and returns it only when it
# allocates again; a comparison frees one large table and reads the next at once, so that memory counts twice at
# its peak. A background thread returning memory freed for half a second keeps the peak to what is in use
# (docs/performance.md, "Compare at scale"). Set before polars is loaded, and only if the user has not set it.
if "polars" not in _sys.modules:
    _os.environ.setdefault("_RJEM_MALLOC_CONF", "background_thread:true,dirty_decay_ms:500,muzzy_decay_ms:0")
