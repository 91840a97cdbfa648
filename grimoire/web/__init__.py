"""The HTTP edge: one module per resource, each a list of routes with their OpenAPI operations."""
