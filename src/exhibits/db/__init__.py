"""Records: SQLAlchemy 2 models, engines, the single writer and migrations."""
