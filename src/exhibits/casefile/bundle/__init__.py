"""Open bundles: BagIt bags with a CASE/UCO graph and custody proofs.

``bag`` and ``verify`` use only the standard library, ``cryptography`` and the log's proof
code, so a lawyer can check a bundle with a minimal install: no database, no account.
"""
