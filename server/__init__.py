"""spanwise.server: ``spanwise server`` (the OTLP receiver) and the ``spanwise`` command."""
