"""How the workflow's defaults for a user's own table do on public tables."""
