"""HTTP surface: the FastAPI app, its routes and the settings object."""
