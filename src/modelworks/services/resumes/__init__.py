"""Resume -> job category (work in progress: generated data and the models so far)."""
