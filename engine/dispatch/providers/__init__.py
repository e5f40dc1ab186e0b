"""SMS providers: the interface, the two Chinese providers' wire formats, callback parsers."""

from __future__ import annotations

from engine.dispatch.providers import aliyun, tencent
from engine.dispatch.providers.base import Callbacks, Inbound, Provider, SendResult

CALLBACKS: dict[str, Callbacks] = {"aliyun": aliyun.CALLBACKS, "tencent": tencent.CALLBACKS}
KINDS = ("aliyun", "tencent", "aliyun-sdk", "tencent-sdk")


class ProviderConfigError(ValueError):
    """A --provider spec that cannot be used."""


def make_provider(spec: str, *, timeout: float = 5.0) -> Provider:
    """Build a provider from 'aliyun=http://127.0.0.1:9100' (kind=endpoint)."""
    kind, sep, endpoint = spec.partition("=")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS or not endpoint.startswith(("http://", "https://")):
        raise ProviderConfigError(
            f"provider {spec!r}: write it as KIND=URL, e.g. aliyun=http://127.0.0.1:9100 "
            f"(kinds: {', '.join(KINDS)})"
        )
    if kind == "aliyun":
        return aliyun.AliyunProvider(endpoint, timeout=timeout)
    if kind == "tencent":
        return tencent.TencentProvider(endpoint, timeout=timeout)
    from engine.dispatch.providers import sdk

    try:
        if kind == "aliyun-sdk":
            return sdk.AliyunSdkProvider(endpoint, timeout=timeout)
        return sdk.TencentSdkProvider(endpoint, timeout=timeout)
    except sdk.SdkMissingError as exc:
        raise ProviderConfigError(f"provider {spec!r}: {exc}") from None


__all__ = ["CALLBACKS", "Callbacks", "Inbound", "Provider", "SendResult", "make_provider"]
