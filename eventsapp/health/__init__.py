"""Health check and worker heartbeat."""
