"""Message -> the engagement model's feature vector: ONE pure function, for training and scoring.

Every feature is an interpretable copy element or a piece of send context, so that a
coefficient reads as "this element moves the click rate by x" and a copywriter can act on it.
Detectors run on NFKC-folded, lower-cased text (full-width ！，０ become !,0), which is enough
for the elements below and costs ~1 µs; the compliance engine's full normalisation (~12 µs)
is for evasions, which copy-quality detectors do not need.

Template variables such as ``${name}`` or ``${n}`` count as the thing they stand for: a draft
with ``${name}，`` has a name salutation, one with ``满${a}减${b}`` a specific offer.
"""

from __future__ import annotations

import re
import unicodedata

from engine.message import BEIJING, Message, MessageType

_NUM = r"(?:\d+(?:\.\d+)?|\$\{\w+\})"

NAME_SALUTATION = re.compile(
    r"(?:[\u4e00-\u9fff](?:先生|女士)|\$\{(?:name|surname|姓名|姓)\}(?:先生|女士)?)\s*[,:：]"
)
GENERIC_SALUTATION = re.compile(r"尊敬的|亲爱的")
SPECIFIC_OFFER = re.compile(
    rf"{_NUM}张.{{0,6}}券|满{_NUM}减{_NUM}|{_NUM}元.{{0,4}}券|立减{_NUM}元|{_NUM}元红包"
)
VAGUE_OFFER = re.compile(rf"全场.{{0,4}}?{_NUM}折|{_NUM}折起")
DEADLINE = re.compile(
    rf"有效期至|截止|截至|仅限今[天日]|今日有效|倒计时|{_NUM}月{_NUM}日前|{_NUM}日前有效|前有效"
)
HYPE = re.compile(r"抢购|疯抢|错过再等|速来|手慢无|秒杀|最后机会")
CLEAR_CTA = re.compile(r"点击.{0,40}?(?:领取|查看|使用|预约|办理)")
LINK = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[\w./?=&%#-]*)?")

# Names in the order features() returns them; the model artifact must list the same.
FEATURE_NAMES: tuple[str, ...] = (
    # copy elements
    "name_salutation",
    "generic_salutation",
    "specific_offer",
    "vague_offer",
    "deadline",
    "hype",
    "exclamations",
    "clear_cta",
    "link",
    "long",
    # send context (baseline: weekday morning/other hours, marketing, general retail)
    "send_lunch",
    "send_afternoon",
    "send_evening",
    "weekend",
    "type_notification",
    "industry_finance",
    "industry_travel",
    "industry_education",
)
COPY_FEATURES = FEATURE_NAMES[:10]
MAX_EXCLAMATIONS = 3  # beyond three marks the reader has stopped counting

_INDUSTRY = {
    "finance": 15,
    "loan": 15,
    "insurance": 15,
    "air": 16,
    "travel": 16,
    "hotel": 16,
    "education": 17,
}
_SINGLE_SEGMENT = 70  # characters, signature included (engine/segments.py)


def fold(text: str) -> str:
    """Fold text for the detectors: NFKC (full-width -> half-width) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def features(message: Message) -> tuple[float, ...]:
    """Return the feature vector of one message, in FEATURE_NAMES order."""
    t = fold(message.text)
    x = [0.0] * 18
    if ("先生" in t or "女士" in t or "${" in t) and NAME_SALUTATION.search(t):
        x[0] = 1.0
    elif GENERIC_SALUTATION.search(t):
        x[1] = 1.0
    # cheap substring gates first: each regex below needs one of these literals to match
    if ("券" in t or "减" in t or "红包" in t) and SPECIFIC_OFFER.search(t):
        x[2] = 1.0
    elif "折" in t and VAGUE_OFFER.search(t):
        x[3] = 1.0
    if (
        "有效" in t or "截" in t or "日前" in t or "限今" in t or "倒计时" in t
    ) and DEADLINE.search(t):
        x[4] = 1.0
    if HYPE.search(t):
        x[5] = 1.0
    x[6] = float(min(t.count("!"), MAX_EXCLAMATIONS))
    if "点击" in t and CLEAR_CTA.search(t):
        x[7] = 1.0
    if "." in t and LINK.search(t):
        x[8] = 1.0
    if len(message.text) > _SINGLE_SEGMENT:
        x[9] = 1.0
    when = message.send_at
    if when is not None:
        local = when.astimezone(BEIJING)
        hour = local.hour
        if 11 <= hour <= 13:
            x[10] = 1.0
        elif 14 <= hour <= 17:
            x[11] = 1.0
        elif 18 <= hour <= 21:
            x[12] = 1.0
        if local.weekday() >= 5:
            x[13] = 1.0
    if message.type is MessageType.NOTIFICATION:
        x[14] = 1.0
    if message.industry is not None:
        slot = _INDUSTRY.get(message.industry)
        if slot is not None:
            x[slot] = 1.0
    return tuple(x)
