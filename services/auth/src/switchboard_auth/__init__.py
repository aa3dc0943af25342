"""Switchboard auth service."""
