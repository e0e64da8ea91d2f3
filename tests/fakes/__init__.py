"""Test doubles that speak real protocols: a GitHub-compatible release API, publish drivers."""
