"""The shared core: settings, registry, evaluation, encoders and the service protocol."""
