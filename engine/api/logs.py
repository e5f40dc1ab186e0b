"""Logging that never leaks personal data: phone numbers masked, API keys never written."""

from __future__ import annotations

import logging
import re

_PHONE = re.compile(r"(?<!\d)((?:\+?86)?1[3-9]\d)\d{4}(\d{4})(?!\d)")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")
# provider callbacks may carry the key in the URL (?key=...): mask it in any logged URL
_QUERY_KEY = re.compile(r"(?i)([?&](?:key|api_key|token|secret|signature)=)[^&\s]+")


def mask(text: str) -> str:
    """Mask mainland mobile numbers (138****5678), bearer tokens and ?key= values."""
    text = _PHONE.sub(r"\1****\2", text)
    return _QUERY_KEY.sub(r"\1***", _BEARER.sub(r"\1***", text))


class MaskingFilter(logging.Filter):
    """Rewrite every record's message with ``mask`` before any handler sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the formatted message in place."""
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: leave the record alone
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


def install() -> None:
    """Put the masking filter on the loggers the server writes to."""
    for name in (
        "xinshi",
        "xinshi.api",
        "xinshi.reload",
        "xinshi.dispatch",
        "uvicorn",
        "uvicorn.access",
        "uvicorn.error",
    ):
        logger = logging.getLogger(name)
        if not any(isinstance(f, MaskingFilter) for f in logger.filters):
            logger.addFilter(MaskingFilter())
