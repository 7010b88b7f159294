"""Case file, disclosure, sharing, retention and open bundles.

Kept import-free on purpose: ``exhibits.casefile.bundle.verify`` must run in a minimal
install (standard library and ``cryptography`` only).
"""
