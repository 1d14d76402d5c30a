"""spanwise.common: the neutral helpers every layer may import.

The never-break boundary (``_safety``), JSON with bounds (``_json``, ``_serialize``), the
content-capture settings read from the environment (``_content``), trace and span id
formats (``_ids``) and tolerant field access (``_access``). Imports only ``semconv`` and
the standard library.
"""
