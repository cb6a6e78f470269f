"""The ML services; each subpackage exposes a ``service`` object found via entry points."""
