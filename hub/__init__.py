"""Xietong hub: everything that is true without HTTP."""

__version__ = "0.1.0"
