"""The auth service's own database: users and their credentials."""
