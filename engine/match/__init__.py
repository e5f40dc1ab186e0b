"""Word lists -> one Aho-Corasick automaton per ruleset; a normalized message -> hits.

Every word of every list of a ruleset goes into one pyahocorasick automaton, keyed by its
skeleton form (see ``engine.normalize``). Each key carries the entries that produced it: which
list, the word as written, and, for generated entries, the evasive spelling it stands for and
its evasion (``加威信`` is entered as a variant of ``加微信``, ``dubo`` as the pinyin of 赌博;
see ``engine.spellings``). One pass over the skeleton of a message finds every hit of every
list; a second pass over a squeezed skeleton (repeated characters and single letters or
digits between Chinese characters removed) runs only when the skeleton has either.

Layout (each module imports only those above it):

    lists.py     Role, WordList, Entry: the word lists that go into the automaton
    hits.py      Hit, Hits (allow phrases excuse the deny hits inside them), Cover, and the
                 trigger ids (EVASIVE, HAS_DOT, LONG, LATIN) beside list and gate ids
    edges.py     Latin words match whole words, digit-only words whole numbers
    collect.py   automaton matches -> hits: noise, evasion labels, chains of one key found
                 back to back, [boundary] words on jieba's word edges
    thinning.py  a long message's matches thinned to a few per key and context
    emoji.py     words with an emoji in place of one character (🐮股 = 牛股)
    lexicon.py   Lexicon: word lists and spellings -> the automaton; scan(Normalized) -> Hits
"""

from engine.match.hits import EVASIVE, HAS_DOT, LATIN, LONG, MAX_NOISE_PER_CHAR, Cover, Hit, Hits
from engine.match.lexicon import Lexicon
from engine.match.lists import Entry, Role, WordList

__all__ = [
    "EVASIVE",
    "HAS_DOT",
    "LATIN",
    "LONG",
    "MAX_NOISE_PER_CHAR",
    "Cover",
    "Entry",
    "Hit",
    "Hits",
    "Lexicon",
    "Role",
    "WordList",
]
