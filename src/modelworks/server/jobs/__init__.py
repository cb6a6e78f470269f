"""Background training jobs: recorded in SQL, run in their own process, watched over HTTP."""
