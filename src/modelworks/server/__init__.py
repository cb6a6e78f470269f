"""The HTTP server: app factory, auth, middleware, metrics and the prediction log."""
