"""modelworks: train, evaluate, version and serve ML services on one production core."""

__version__ = "0.1.0"
