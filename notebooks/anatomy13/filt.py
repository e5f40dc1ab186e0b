import re
QUOTES = [("“","”"),("「","」"),("\"","\""),("『","』"),("‘","’")]
CHANNEL = re.compile(r"(?<!\d)1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}(?!\d)|(?<!\d)[48]00-?\d{3}-?\d{4}|https?://|www\.|\.(?:com|cn|top|vip|xyz|cc|net)\b|(?:微信|vx|wx|v信|QQ|qq|扣扣)\s*[:：号]?\s*[A-Za-z0-9_-]{5,}", re.I)
FRAME = re.compile(r"不会|从不|从未|绝不|决不|不承诺|不得以|诈骗|骗局|谨防|警惕|请勿|切勿|勿信|陷阱|违法|违反|远离|冒充")
NEG = re.compile(r"(?:不|不会|不得|从不|从未|绝不|并非|非|无需|未)[“「\"]?$")
CLAIM = {"industry_claim","absolute_claim","medical_claim","risk_disclosure"}
def signed(t):
    t=t.strip()
    return t.startswith("【") or t.endswith("】")
def quoted(t, s, e):
    for o,c in QUOTES:
        a=t.rfind(o,0,s+1)
        if a>=0 and (o!=c or t[:s].count(o)%2==1):
            b=t.find(c,a+1)
            if b>=e-1: return True
    return False
def warning_frame(t, typ):
    return typ=="notification" and signed(t) and not CHANNEL.search(t) and bool(FRAME.search(t))
def f1(t,typ,f):  # warning frame: word list/pattern/model finding in a signed notification with a frame and no channel
    return f["kind"] in ("Forbidden","PatternRule","ModelRule","ContextRule") and warning_frame(t,typ)
def f1b(t,typ,f):  # negated claim
    return f["cat"] in CLAIM and f["kind"]=="Forbidden" and bool(NEG.search(t[max(0,f["start"]-4):f["start"]]))
def f3(t,typ,f):  # price disclosure completeness -> info
    return f["cat"]=="price_disclosure" and f["kind"]=="Required"
FILTERS={"F1 warning frame":f1,"F1b negated claim":f1b,"F3 price completeness info":f3}

def f2(t,typ,f,others=()):  # a mobile in a signed notification, with no second signal
    return f["kind"]=="ContactRule" and f["rule"].endswith("mobile_in_notice") and typ=="notification" and signed(t) and not others
FILTERS["F2 lone mobile in notice"]=f2
