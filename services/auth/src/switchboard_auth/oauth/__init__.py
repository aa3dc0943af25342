"""OAuth login (authlib) with Chainlit's providers and environment variable names."""
