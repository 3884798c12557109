"""Word lists of the languages whose captions we read best (English, German, French), by ISO 639-1 code.

- `FUNCTION_WORDS`: closed-class words (articles, prepositions, conjunctions, auxiliaries, pronouns) that
  a readable unit does not end on, and that never start or end a key phrase.
- `OPENERS`: words that open a new thought after a pause ("so", "now", "okay"): a good place for a cut in
  unpunctuated captions, and a sentence start.
- `CJK`: the character ranges of scripts written without spaces (a word per character).
- `GENERIC`: words of the spoken language that name no subject ("thing", "gonna", "c'est", "also"), left
  out of key phrases on top of sumy's stop words, which are thin for German and French (no "une",
  no "haben").
A language without lists gets empty ones: its captions are cut at pauses only, its key phrases drop only
sumy's stop words.
"""

from __future__ import annotations

# Hiragana, katakana and CJK ideographs: scripts written without spaces, read one character per word.
CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"

_NONE: frozenset[str] = frozenset()


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


FUNCTION_WORDS = {
    "en": _words(
        """a an the of to in on at by for with from into onto about as than and or but nor so if that which
        who whom whose what when where while because since until unless although though whether i you he
        she it we they me him us them my your his her its our their this these those is are was were be
        been being am do does did have has had will would shall should can could may might must not no
        very just some any each every all both either neither such there here how why i'm you're we're
        they're it's that's there's don't doesn't didn't can't won't isn't aren't wasn't i've you've we've
        they've i'd you'd we'd i'll you'll we'll gonna wanna like"""
    ),
    "de": _words(
        """der die das den dem des ein eine einen einem einer eines und oder aber denn weil dass ob wenn als
        wie zu zum zur von vom mit bei aus auf in im an am für über unter vor nach durch gegen ohne um ich
        du er sie es wir ihr mein dein sein unser euer ist sind war waren bin bist hat haben hatte wird
        werden kann können muss müssen soll sollen will wollen nicht kein keine sehr"""
    ),
    "fr": _words(
        """le la les l un une des du de d au aux et ou mais donc or ni car que qui quoi dont où si quand
        comme à dans sur sous avec pour par sans chez vers en je tu il elle on nous vous ils elles me te se
        mon ma mes ton ta tes son sa ses notre votre leur leurs ce cet cette ces est sont était être a ont
        avait avoir va vont peut peuvent doit ne pas très"""
    ),
}

OPENERS = {
    "en": _words("so now okay ok alright first firstly second secondly third finally next let's anyway well"),
    "de": _words("also jetzt okay gut erstens zweitens schließlich zuerst"),
    "fr": _words("alors donc maintenant bon d'abord ensuite enfin premièrement voilà"),
}

GENERIC = {
    "en": _words(
        """thing things stuff lot lots kind kinds sort way ways guy guys folks people person something
        anything everything nothing someone anyone everyone everybody somebody time times today tomorrow
        yesterday yeah yep yes okay ok oh ah well right really actually basically literally probably maybe
        perhaps pretty gonna wanna gotta kinda sorta like just know knows knew think thinks thought mean
        means meant meaning say says said saying go goes going went gone get gets got getting make makes
        made making want wants wanted see sees saw seen look looks looking looked come comes came coming
        take takes took taken give gives gave given put tell tells told talk talks talking talked thank
        thanks video videos channel point points question questions example examples fact part parts bit
        little big good great bad new old first second third last next end start day days year years week
        weeks also even still much many whole sure able need needs use uses used using work works working
        worked try tries trying tried call calls called idea ideas hey hi hello um uh alright let lets
        let's one two three four five six seven eight nine ten hundred thousand million billion percent
        number numbers true false long short important interesting different possible hard easy simple
        understand understanding sense clear obviously course matter certain certainly whatever another
        other others feel feels felt happen happens happened stage"""
    ),
    "de": _words(
        """haben hat hatte man uns also muss müssen weil sein sind wird werden wurde worden können kann
        eben schon noch ja nein gibt geht gehen immer mehr viel viele sehr heute jetzt dann denn doch mal
        etwas alle alles andere anderen ganz gut hier da dort sagen sagt gesagt machen macht gemacht sehen
        einfach natürlich wirklich eigentlich genau okay ding dinge sache sachen leute mensch menschen
        zeit jahr jahre frage fragen beispiel ersten zweiten dritten heißt möglich diese dieser diesen
        dieses jene gab wäre würde würden hätte könnte sollte geben kommen kommt stehen steht lassen lässt
        wissen weiß tun"""
    ),
    "fr": _words(
        """c'est qu'on qu'il qu'ils qu'elle j'ai n'est n'a d'un d'une c'était moi toi lui eux faire fait
        faut dire dit plus très bien aussi alors donc oui non chose choses fois gens voilà parce être
        avoir peut veux vais ça cela celui ceux tout tous toute toutes même autre autres y a ici là
        maintenant aujourd'hui vraiment simplement bon beaucoup peu trop déjà encore toujours jamais
        question questions exemple monde temps an ans année années premier première deuxième serait sera
        seront étaient soit plutôt passé rien avez suis es sommes êtes dis disent parle parler besoin vos
        nos façon manière truc faites font mis met mettre voir vu veut voulez pouvez pouvons allez aller
        venir vient ben hein quelque quelques certains certaines"""
    ),
}


def uninformative(language_code: str) -> frozenset[str]:
    """Function words and generic words of a language code such as "en" or "pt-BR" (empty if unknown)."""
    language = language_code.split("-")[0].lower()
    return FUNCTION_WORDS.get(language, _NONE) | GENERIC.get(language, _NONE)
