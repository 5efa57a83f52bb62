"""Binder alla feature-filer i features/ till pytest (pytest-bdd)."""
from pytest_bdd import scenarios

scenarios(".")
