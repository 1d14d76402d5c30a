"""OpenTelemetry instrumentors (one package per library), the manual tracing API, and
the helpers they share (content capture, bounded JSON, the error policy)."""
