"""modelworks beside plain FastAPI, Flask, LitServe and BentoML (``make bench-peers``)."""
