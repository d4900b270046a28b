"""Passwords, keys, seals and one-time passwords."""
