"""Use-cases: each combines the domain and the store in one transaction."""
