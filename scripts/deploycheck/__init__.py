"""Checks behind scripts/validate_deploy.py (see its docstring for the list)."""
