"""Find account IDs on chat apps and content platforms other than WeChat and QQ.

Spam moves to whatever app a filter does not know yet (Kik, 飞书, 豆瓣小组, 旺旺,
YY频道, 虎牙直播间, 百度网盘群, 拼多多店铺 …), so the names are data
(rules/lists/contact_apps_*.txt) and the grammar is the class: a platform name, then an
account word (号, 账号, ID, 群, 小组, 频道, 直播间, 房间号, 好友代码, 店铺, 邮箱), an
action (私信, 搜, 搜索, 加, 关注), separators, and an ID-like token. The
token is what tells an account from an order number, a flight, a plate or a product model:

- letters and digits with at least three digits and a lower-case letter (jin68656, sweet_49300):
  order, waybill and flight numbers (SF979011…, MU681) and models (RTX4090) are upper case,
  models have few digits (iPhone15, Mate60);
- a '_' or '-' between letters and digits (mm_44844);
- 5 to 12 digits not followed by a unit (虎牙直播间 29154192; not 抖音 2024年, 京东 11.11);
- a quoted name with a digit in it (拼多多搜店铺“精品960”; a brand's “信使商城” is its name);
- a digit-led token with letters (Session ID 055076922170ab).

Without a listed name the same token still counts right after an invitation verb (加, 添加,
私信, 联系, 搜 …) or after an app described rather than named (绿色聊天软件搜 …, 某社交软件),
and a Matrix ID (@user:server.org) is one by its shape. Linear time: every pattern starts
with a literal alternation and has bounded repeats.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import NamedTuple


class Account(NamedTuple):
    """An account ID found on the folded text (folded-text span)."""

    kind: str  # im (a private chat account, group or message), account (a content platform)
    start: int
    end: int
    value: str
    evasion: str  # other_platform, described_app, bare_id


class Platforms(NamedTuple):
    """Platform names compiled into the searches ``find_accounts`` runs."""

    named: tuple[re.Pattern[str], ...]  # listed names with their account grammar and token
    chat: frozenset[str]  # names of private chat apps (the rest are content platforms)
    literals: tuple[str, ...]  # every name (a gate: messages without one skip ``named``)


# 号/账号/ID … after the name; 私信/搜 … after that (豆瓣小组私信, 拼多多搜店铺, 飞书搜)
_NOUN = (
    r"(?:号码|账号|帐号|账户|用户名|昵称|群号|群|小组|频道|房间号|房间|直播间|好友代码|好友码|"
    r"店铺名|店铺|主页|邮箱|空间|号|\s?id)"
)
_ACTION = r"(?:私信|私聊|私我|搜一搜|搜索|搜|添加|加|关注|找|联系)"
# where a private chat starts: these words make any platform a private channel (im)
_PRIVATE_ACTIONS = ("私信", "私聊", "私我", "群", "小组", "频道", "房间", "直播间", "好友")
_SEP = r"[ :@\"“”「」『』《》#=]{0,4}"
# the token, as written in the folded text (case is read from the original afterwards)
_TOKEN = (
    r"(?P<tok>[a-z_][a-z0-9_-]{2,31}|\d{5,12}[a-z][a-z0-9]{0,11}|\d{5,12}"
    r"|(?<=[“\"「『《])[^\s“”\"「」『』《》，。,]{1,12}(?=[”\"」』》]))"
    r"(?![a-z0-9_@]|\.[a-z0-9]|[年月日天号期个元万%岁])"
)
# an app described, not named: 绿色聊天软件, 蓝色社交app, 某交友平台, 绿色app
_DESCRIBED = (
    r"(?:[绿蓝红黄紫黑白橙粉]色的?|某个?|那个)(?:聊天|社交|交友|通讯|即时通讯)?(?:软件|app|应用|平台|工具)"
    r"|(?:聊天|社交|交友|通讯)(?:软件|app|应用|工具)"
)
# (not 搜 alone: a site search takes product codes, 搜索 sku100234; a named or described app
# before 搜 is the named grammar's)
_INVITE = r"(?:添加|加我|加个|加下|加|私信|私聊|私我|联系|找我)"
# name, then 号/账号 …, 私信/搜 …, 店铺 … (豆瓣小组私信, 拼多多搜店铺“…”, 飞书搜, 旺旺号)
# what may follow a name (a look-ahead of one character: a name repeated 2,000 times fails
# at once instead of trying every branch of the grammar)
_NEXT = r"(?=[号账帐用昵群小频房直好店主邮空\sidi私搜添加关找联:@\"“「『《#=a-z0-9_])"
_GRAMMAR = rf"{_NEXT}{_NOUN}?\s{{0,2}}{_ACTION}?{_NOUN}?{_SEP}"
_DESCRIBED_RE = re.compile(rf"(?P<name>{_DESCRIBED}){_GRAMMAR}{_TOKEN}")
# 加我好友：abc_1234, 加为好友 abc_1234
_INVITE_RE = re.compile(rf"(?P<name>{_INVITE})(?:一下|下)?(?:为?好友)?[ :：]{{0,3}}{_TOKEN}")
# a word that makes any name a private channel, with no name at all: 群号 802233415,
# XX直播间 51120331, 房间号 886321, 好友代码 300112233 (not after 您的/你的: the reader's own)
_ROOM_RE = re.compile(
    rf"(?<!您的)(?<!你的)(?P<name>群号|频道号|直播间|房间号|好友代码|好友码)(?:是|为)?{_SEP}{_TOKEN}"
)
_ROOM_GATE = re.compile("群号|频道号|直播间|房间号|好友代|好友码")
_DESCRIBED_WORDS = ("软件", "app", "应用", "平台", "工具")
_DIGITS3 = re.compile(r"\d\d\d")
# @user:server.tld (Matrix, Element)
_MATRIX = re.compile(r"@[a-z0-9._=-]{2,64}:(?:[a-z0-9-]{1,63}\.){1,4}[a-z]{2,10}(?![a-z0-9.-])")
# a token the invitation grammar accepts: it has no platform name to vouch for it
# (two letters at least, few after the digits: x200pro is a phone model, not an ID)
_STRICT = re.compile(r"[a-z]{2,15}[_.-]?\d{3,12}(?:[_a-z]\d{0,4})?|[a-z]{2,12}_[a-z0-9_]{2,20}")
# a cheap test before the invitation grammar: letters then three digits somewhere
_STRICT_HINT = re.compile(r"[a-z](?:[_.-]?\d{3}|_[a-z0-9])")  # one leading class: re skips in C


def compile_platforms(
    chat: Sequence[str], content: Sequence[str], words: Sequence[str]
) -> Platforms:
    """Compile platform names: ``chat`` (private chat apps) and ``content`` (content
    platforms) may stand right before an ID (Kik sweet63490); ``words`` are chat apps whose
    names are also ordinary words (line, signal, steam): they need an account word, an action
    or a ':'/'@' after them."""
    strong = _alternation([*chat, *content])
    weak = _alternation(list(words))
    # One regex per group of names, each starting with its names and no look-behind: the
    # regex engine then skips to the characters a name starts with (a look-behind, or two
    # groups in one alternation, makes it try every position: 5x slower); find_accounts
    # tests the character before a name.
    named = []
    if strong:
        named.append(re.compile(rf"(?P<name>{strong}){_GRAMMAR}{_TOKEN}"))
    if weak:
        head = (
            rf"(?:{_NOUN}\s{{0,2}}{_ACTION}?{_SEP}|\s{{0,2}}{_ACTION}{_SEP}"
            r"|\s{0,2}[:@][ :@]{0,3})"
        )
        named.append(re.compile(rf"(?P<name>{weak}){head}{_TOKEN}"))
    names = tuple(dict.fromkeys(n.lower() for n in (*chat, *content, *words) if n.strip()))
    chat_names = frozenset(n.lower() for n in (*chat, *words))
    return Platforms(tuple(named), chat_names, names)


# The names rules/lists/contact_apps_*.txt ship with: used by callers that bring no ruleset
# (tests, tools) and by a ruleset without those lists.
APP_CHAT = (
    "skype", "whatsapp", "telegram", "discord", "viber", "kakaotalk", "kakao", "kik",
    "wickr", "threema", "zalo", "snapchat", "instagram", "facebook", "脸书", "twitter",
    "推特", "icq", "wechat work", "batchat", "蝙蝠", "连信", "陌陌", "探探", "钉钉",
    "dingtalk", "飞书", "feishu", "旺旺", "阿里旺旺", "千牛", "易信", "米聊", "子弹短信",
    "默往", "派派", "soul", "积目", "blued", "比心", "tt语音", "yy语音", "歪歪", "抱抱",
    "伊对", "他趣", "纸飞机", "小飞机",
)  # fmt: skip

APP_CONTENT = (
    "公众号", "视频号", "企业微信", "企微", "抖音", "快手", "微视", "西瓜视频", "好看视频",
    "虎牙", "斗鱼", "映客", "花椒直播", "网易云音乐", "网易云", "酷狗", "全民k歌",
    "喜马拉雅", "荔枝fm", "小红书", "微博", "知乎", "b站", "bilibili", "哔哩哔哩", "豆瓣",
    "贴吧", "百度贴吧", "今日头条", "头条号", "百家号", "lofter", "闲鱼", "咸鱼", "转转",
    "淘宝", "天猫", "拼多多", "京东", "唯品会", "得物", "微店", "有赞", "支付宝", "百度网盘",
    "百度云", "夸克网盘", "阿里云盘", "网盘", "迅雷", "某音", "某书", "某宝", "某鱼", "某手",
    "某站", "某博", "某乎", "某多多",
)  # fmt: skip

APP_WORDS = (
    "line", "signal", "session", "element", "matrix", "wire", "lark", "teams", "messenger",
    "imo", "momo", "yy", "steam", "potato", "土豆", "电报", "ins", "红薯", "红书", "dy", "ks",
    "xhs", "tb", "pdd", "wb", "zfb", "fb", "ig", "wa",
)  # fmt: skip


@lru_cache(maxsize=1)
def default_platforms() -> Platforms:
    """The platforms of ``APP_CHAT``, ``APP_CONTENT`` and ``APP_WORDS``."""
    return compile_platforms(APP_CHAT, APP_CONTENT, APP_WORDS)


def _alternation(names: list[str]) -> str:
    names = sorted({n.lower() for n in names if n.strip()}, key=len, reverse=True)
    return "|".join(re.escape(n).replace(r"\ ", r"\s?") for n in names)


def find_accounts(
    folded: str, written: Callable[[int, int], str], platforms: Platforms | None
) -> list[Account]:
    """Account IDs in ``folded`` (``written(start, end)``: a folded span as written in the
    original text, whose letter case tells codes from IDs)."""
    out: list[Account] = []
    named, chat = (platforms.named, platforms.chat) if platforms else ((), frozenset())
    for m in (m for rx in named for m in rx.finditer(folded)):
        if m.start() > 0 and folded[m.start() - 1] in _ALNUM and folded[m.start()].isascii():
            continue  # "kik" inside a word (kicking), "line" in "online"
        tok, tstart, name = m["tok"], m.start("tok"), m["name"]
        if not _id_like(tok, written(tstart, tstart + len(tok))):
            continue
        head = folded[m.end("name") : tstart]
        if tok.isdigit() and name not in chat and not head.strip(' "“”「」『』《》#='):
            continue  # 抖音 1000000粉丝: a number right after a platform needs 号/群/搜 or ':'
        private = name in chat or any(w in head for w in _PRIVATE_ACTIONS)
        kind = "im" if private else "account"
        out.append(Account(kind, m.start(), m.end(), tok, "other_platform"))
    if any(w in folded for w in _DESCRIBED_WORDS):
        for m in _DESCRIBED_RE.finditer(folded):
            tok = m.group("tok")
            if _id_like(tok, written(m.start("tok"), m.end("tok"))):
                out.append(Account("im", m.start(), m.end(), tok, "described_app"))
    if ("_" in folded or _DIGITS3.search(folded)) and _STRICT_HINT.search(folded):
        for m in _INVITE_RE.finditer(folded):
            tok = m.group("tok")
            if _STRICT.fullmatch(tok) and _id_like(tok, written(m.start("tok"), m.end("tok"))):
                out.append(Account("im", m.start(), m.end(), tok, "bare_id"))
    if _ROOM_GATE.search(folded):
        for m in _ROOM_RE.finditer(folded):
            tok = m.group("tok")
            if _id_like(tok, written(m.start("tok"), m.end("tok"))):
                out.append(Account("im", m.start(), m.end(), tok, "bare_id"))
    if "@" in folded and ":" in folded:
        out.extend(
            Account("im", m.start(), m.end(), m.group(), "other_platform")
            for m in _MATRIX.finditer(folded)
        )
    return _outermost(out)


_ALNUM = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
_DATE = re.compile(r"(?:19|20)\d\d(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])")  # 20261212


def _id_like(token: str, written: str) -> bool:
    """An account ID, not an order, waybill or flight number, a plate or a product model."""
    if token.isdigit():
        return 5 <= len(token) <= 12 and not _DATE.fullmatch(token)
    digits = sum(c.isdigit() for c in token)
    if digits == 0:
        return False
    if not token.isascii():
        return True  # a quoted shop name with a digit (“精品960”)
    letters = [c for c in written if c.isalpha()]
    if letters and all(c.isupper() and c.isascii() for c in letters) and "_" not in token:
        return False  # SF979011141935, MU681, RTX4090, ZH2752: codes are upper case
    if "_" in token or "-" in token:
        return True
    lead = len(token) - len(token.lstrip("abcdefghijklmnopqrstuvwxyz"))
    if written[:1].isupper() and written[:1].isascii() and lead <= 3 and digits <= 4:
        return False  # X200Pro, P70, Mate60: a model starts with a capital, few digits
    return digits >= 3


def _outermost(found: list[Account]) -> list[Account]:
    """One account per stretch of text: overlapping finds (Element @x and the Matrix ID
    @x:matrix.org) become one, over both spans, named as the first."""
    found.sort(key=lambda a: (a.start, -a.end))
    out: list[Account] = []
    for a in found:
        if out and a.start < out[-1].end:
            out[-1] = out[-1]._replace(end=max(a.end, out[-1].end))
            continue
        out.append(a)
    return out
