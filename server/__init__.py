"""server: the FastAPI app behind the dashboard. Nothing is implemented here yet."""
