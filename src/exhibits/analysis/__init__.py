"""Analysis of evidence content: transcripts, OCR, entities, and people's corrections."""
