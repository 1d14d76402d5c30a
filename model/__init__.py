"""spanwise.model: traces as data, and the translation layer.

``Trace``/``TraceInfo``/``Span`` in MLflow's JSON shape (``_model``, ``_mlflow_json``,
``_render``), span records (``_records``), every convention in (``_conventions``,
``_translate``, OTLP decoding in ``_otlp``) and the dialects out (``_dialects``), and the
Chat Completions message format that several libraries and conventions share
(``_chat_format``).
"""
