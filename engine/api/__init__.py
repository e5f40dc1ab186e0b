"""The HTTP API. ``create_app()`` builds it from XINSHI_* settings; ``xinshi serve`` runs it."""

from engine.api.app import create_app

__all__ = ["create_app"]
