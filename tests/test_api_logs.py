"""Logs never carry full phone numbers or API keys."""

from __future__ import annotations

import logging

import pytest

from engine.api.logs import MaskingFilter, mask


def test_mask_phone_numbers_and_bearer_tokens() -> None:
    assert mask("联系13812345678或+8613912345678") == "联系138****5678或+86139****5678"
    assert mask("Authorization: Bearer sk-live-123") == "Authorization: Bearer ***"
    assert (
        mask("POST /v1/callbacks/aliyun/receipt?key=k-42&x=1")
        == "POST /v1/callbacks/aliyun/receipt?key=***&x=1"
    )
    assert (
        mask("订单号2023138123456789") == "订单号2023138123456789"
    )  # longer digit runs are not phones


def test_filter_masks_formatted_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("xinshi.test-mask")
    logger.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO, logger="xinshi.test-mask"):
        logger.info("sending to %s", "13812345678")
    assert "13812345678" not in caplog.text and "138****5678" in caplog.text
