"""web: the FastAPI UI and REST API for the three user groups."""
