"""HTTP surface: the FastAPI app, its lifespan, one router per surface, and what routes depend on (`deps`)."""
