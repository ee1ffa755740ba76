"""Interfaces (Schnittstellen): the catalogue of interface types and, later, the services
configured from it. Kept import-light on purpose: the catalogue lives in `.catalogue` and
needs neither Flask nor the database."""
