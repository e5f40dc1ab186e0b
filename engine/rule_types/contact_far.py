"""QQ numbers and WeChat IDs whose label stands far from them, so that no label window sees
both: 加我的微信，我的号码是 abc12345; QQ号码如下，请记好：123456789.

A value counts when, in the same sentence and within ``FAR_WINDOW`` characters before it, a
listed QQ or WeChat label (not the built-in q or v) comes first, then a word that points at an
account (号, 号码, 账号, ID, 群), and the value follows a ':', '=', 是, 为 or 如下. Words of
other things between them (公众号, 订单, 验证码, 卡号 …) leave it be. Linear time: each value
reads a bounded window before it.
"""

from __future__ import annotations

import re

from engine.normalize import Normalized
from engine.rule_types.contact_labels import Labels
from engine.rule_types.contact_numbers import Contact, overlaps

FAR_WINDOW = 24
# on the folded text (lower case, ':' for '：'): a QQ number or a WeChat ID after a pointer
_VALUE = re.compile(
    r"(?:[:=]|是|为|如下)[ \n]{0,2}(?:(?P<qq>(?<![0-9])[1-9][0-9]{4,10})(?![0-9a-z_-])"
    r"|(?P<id>(?<![a-z0-9_-])[a-z][a-z0-9_-]{5,19})(?![a-z0-9_-]|\.[a-z]))"
)
_POINTER = re.compile(r"号|id|群")
_SENTENCE_END = re.compile(r"[。！？!?;；\n]")
# the label names a thing other than the account, or the number is another thing's
_OTHER = re.compile(
    r"公众号|小程序|视频号|服务号|订阅号|支付|付款|订单|单号|验证码|动态码|卡号|券|编号|工号|"
    r"学号|流水|金额|红包|钱包|会员号|音乐|游戏|运单|快递|手机|电话|密码"
)


def far_labelled(
    text: str, folded: str, norm: Normalized, labels: Labels, found: list[Contact]
) -> list[Contact]:
    """QQ numbers and WeChat IDs with a label far before them (folded-text search, spans on
    ``text``), except where a contact in ``found`` overlaps."""
    out: list[Contact] = []
    if labels.far is None or ("号" not in folded and "id" not in folded and "群" not in folded):
        return out
    for m in _VALUE.finditer(folded):
        kind = "qq" if m["qq"] else "wechat"
        value_start = m.start(kind if kind == "qq" else "id")
        lo = max(0, m.start() - FAR_WINDOW)
        window = folded[lo : m.start()]
        cut = max((e.end() for e in _SENTENCE_END.finditer(window)), default=0)
        window = window[cut:]
        label = None
        for lm in labels.far.finditer(window):
            label = lm
        if label is None or (label["qq"] is None) == (kind == "qq"):
            continue  # no label, or a WeChat label before digits / a QQ label before letters
        after = window[label.start() :]
        if _POINTER.search(after) is None or _OTHER.search(after) is not None:
            continue
        s, e = norm.folded_span(value_start, m.end())
        c = Contact(kind, s, e, m[kind if kind == "qq" else "id"], "far_label")
        if not overlaps(c, found) and not overlaps(c, out):
            out.append(c)
    return out
