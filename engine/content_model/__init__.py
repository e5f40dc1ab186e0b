"""A learned content classifier: character n-grams of the normalized text, linear weights.

Trained offline with scikit-learn (``engine.content_model.train``) and exported as plain JSON
(``models/content.json``); scoring (``engine.content_model.model``) is pure Python.
"""
