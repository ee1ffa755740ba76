"""Änderungsprotokoll: the entries (models), writing them (services), what each domain
registered about its records at start-up (registry) and the entries in words (display). It
imports no domain; the screen that reads the whole log is webapp.audit."""
