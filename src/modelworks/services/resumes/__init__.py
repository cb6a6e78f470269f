"""Resume -> job category (work in progress: the generated training data so far)."""
