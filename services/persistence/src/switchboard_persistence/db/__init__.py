"""The persistence database: tables and engine."""
