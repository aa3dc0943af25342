"""Switchboard worker service."""
