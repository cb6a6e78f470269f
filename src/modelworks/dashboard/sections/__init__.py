"""The four sections of every service's page: Try, Versions, History, Monitoring."""
