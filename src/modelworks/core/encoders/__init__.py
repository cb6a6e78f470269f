"""Text encoders built offline from packaged weights: no hub downloads, no torch at run time."""
