"""Switchboard sessions service."""
