"""The words of boilerplate, in many languages: what a cleaner reads in a block's text.

Each pattern matches the *start* of a short block (or the whole of it), never a word
inside a story's sentence; the callers also check the block's length and shape. Add a
language by adding its words here; nothing else needs to change.
"""

from __future__ import annotations

import re

_FLAGS = re.IGNORECASE | re.UNICODE


def _starts(*phrases: str) -> re.Pattern[str]:
    return re.compile(r"^[\W_]*(" + "|".join(phrases) + r")(?!\w)", _FLAGS)


class Opening:
    """``re.compile(head + "(" + "|".join(phrases) + ")" + tail)``, matched at the start of
    a text, but by first letter: Python's ``re`` tries an alternation's branches one by one,
    and a list of phrases in sixty languages is tried on every short block of every page.
    Each phrase that opens with a letter is tried only on texts that open with that letter
    (case-folded); the others always. :meth:`match` gives the same match as the one pattern."""

    def __init__(self, phrases: tuple[str, ...], tail: str) -> None:
        letters = {phrase[0].lower() for phrase in phrases if phrase[:1].isalpha()}

        def pattern(letter: str | None) -> re.Pattern[str] | None:
            # the phrases in their own order (the first that matches wins, as in one pattern)
            some = [
                phrase
                for phrase in phrases
                if not phrase[:1].isalpha() or phrase[0].lower() == letter
            ]
            if not some:
                return None
            return re.compile(r"^[\W_]*(" + "|".join(some) + ")" + tail, _FLAGS)

        self._any = pattern(None)
        self._by_letter = {letter: pattern(letter) for letter in letters}

    def match(self, text: str) -> re.Match[str] | None:
        lead = _LEAD.match(text)
        start = lead.end() if lead else 0
        if start >= len(text):
            return None
        chosen = self._by_letter.get(text[start].lower(), self._any)
        return chosen.match(text) if chosen is not None else None


_LEAD = re.compile(r"[\W_]*")


# "Read also", "Related", "Popular": a heading over other stories' headlines.
_TEASER_PHRASES = (
    # en
    r"read (also|more|next)",
    r"also read",
    r"see also",
    r"more (news|stories|from|in|on|articles)",
    r"related( (stories|articles|news|posts|content|coverage|reading|topics))?",
    r"you (may|might) (also )?(like|enjoy|be interested in)",
    r"recommended( for you| stories| articles)?",
    r"most (popular|read|viewed|shared|commented)",
    r"popular( (now|stories|articles|posts))?",
    r"trending( now)?",
    r"top stories",
    r"latest( (news|stories|articles|posts))?",
    r"(other|more|in other) news",
    r"also on",
    r"don'?t miss",
    r"editor'?s picks",
    r"what to read next",
    r"(up|coming up) next",
    r"next up",
    r"(watch|read) next",
    r"next (story|article)",
    r"further reading",
    r"sponsored (content|stories|links)",
    # ru, uk, be
    r"читайте (также|еще|ещё|по теме|далее)",
    r"смотрите (также|еще|ещё)",
    r"см\. также",
    r"по теме",
    r"популярное",
    r"самое (читаемое|популярное|интересное)",
    r"новости партн[её]ров",
    r"(другие|ещ[её]|последние|главные) новости",
    r"лента новостей",
    r"главное( за (день|сутки|неделю))?",
    r"рекомендуем",
    r"вам может быть интересно",
    r"(похожие|другие) (новости|статьи|материалы)",
    r"(новости|материалы|статьи) по теме",
    r"ещ[её] по теме",
    r"читайте також",
    r"дивіться також",
    r"популярне",
    r"інші новини",
    r"схожі (новини|статті|матеріали)",
    r"матеріали (по|за) темі",
    r"вам (також|теж) (буде|може бути) цікаво",
    r"чытайце (таксама|яшчэ)",
    # de
    r"lesen sie (auch|mehr|hier)",
    r"auch interessant",
    r"mehr zum thema",
    r"mehr (dazu|aus|zu|von)",
    r"weitere (artikel|nachrichten|meldungen|beiträge|themen)",
    r"das könnte sie (auch )?interessieren",
    r"meistgelesen",
    r"empfehlungen",
    r"passend zum thema",
    r"auch (auf|bei) \S+",
    r"(empfohlene|ähnliche|verwandte) (artikel|beiträge)",
    r"als nächstes",
    r"nächster artikel",
    # fr
    r"(à )?lire aussi",
    r"à lire",
    r"voir aussi",
    r"sur le même (sujet|thème)",
    r"(\w+ et )?(vidéos|audios|articles) sur le (même )?sujet",
    r"les plus lus",
    r"nos articles",
    r"(dans|à) la même rubrique",
    r"vous aimerez aussi",
    r"(pour )?aller plus loin",
    r"à suivre",
    r"article suivant",
    # es, pt
    r"lea (también|más)",
    r"lee (también|más)",
    r"leer también",
    r"ver también",
    r"vea también",
    r"mira también",
    r"(también )?(le|te) puede interesar",
    r"(noticias )?relacionadas",
    r"lo más (leído|visto)",
    r"más noticias",
    r"leia (também|mais)",
    r"veja (também|mais)",
    r"saiba mais",
    r"mais lidas",
    r"(você )?também pode gostar",
    # it
    r"leggi anche",
    r"potrebbe interessarti",
    r"(articoli|notizie) correlat[ie]",
    r"i più letti",
    # pl, cs
    r"czytaj (też|także|również|więcej)",
    r"przeczytaj (też|także|również)",
    r"zobacz (też|także|również)",
    r"polecamy",
    r"najczęściej czytane",
    r"polecane( artykuły)?",
    r"dowiedz się więcej",
    r"čtěte (také|též)",
    r"související články",
    r"nejčtenější",
    # nl, sv, da, no
    r"lees ook",
    r"meer nieuws",
    r"gerelateerde artikelen",
    r"meest gelezen",
    r"läs (också|även|mer)",
    r"relaterade artiklar",
    r"mest lästa?",
    r"læs (også|mere)",
    r"relaterede artikler",
    r"mest læste",
    r"les (også|mer)",
    r"relaterte (saker|artikler)",
    r"mest lest",
    # other scripts and languages
    r"関連記事",
    r"関連ニュース",
    r"あわせて読みたい",
    r"おすすめ記事",
    r"合わせて読みたい",
    r"人気記事",
    r"相关阅读",
    r"相关文章",
    r"相关新闻",
    r"延伸阅读",
    r"推荐阅读",
    r"猜你喜欢",
    r"热门(文章|新闻|推荐)",
    r"相關閱讀",
    r"相關新聞",
    r"관련\s?기사",
    r"많이 본 (뉴스|기사)",
    r"추천 기사",
    r"관련\s?뉴스",
    r"인기\s?기사",
    r"เรื่องที่เกี่ยวข้อง",
    r"ข่าวที่เกี่ยวข้อง",
    r"อ่านเพิ่มเติม",
    r"اقرأ (أيضا|أيضاً|ايضا)",
    r"(مواضيع|أخبار|مقالات) ذات صلة",
    r"الأكثر (قراءة|مشاهدة)",
    r"بیشتر بخوانید",
    r"مطالب مرتبط",
    r"پربازدیدترین( (ها|اخبار))?",
    r"קרא(ו)? גם",
    r"כתבות נוספות",
    r"यह भी पढ़ें",
    r"ये भी पढ़ें",
    r"संबंधित खबरें",
    r"διαβάστε (επίσης|ακόμα)",
    r"ilgili haberler",
    r"bunlar da ilginizi çekebilir",
    r"ayrıca okuyun",
    r"ezek is érdekelhetnek",
    r"olvassa el ezt is",
    r"legolvasottabb(ak)?",
    r"kapcsolódó cikkek",
    r"baca juga",
    r"berita terkait",
    r"terpopuler",
    r"tin liên quan",
    r"xem thêm",
    r"đọc thêm",
    r"đọc nhiều nhất",
    r"lasīt arī",
    r"lasiet arī",
    r"skatīt arī",
    r"taip pat skaitykite",
    r"loe ka",
    r"прочетете още",
    r"прочитајте још",
    r"pročitajte (još|i|također)",
    r"preberite (še|tudi)",
    r"povezani članki",
    r"najbolj brano",
    # tr, az, kk, ky, uz, tk, tt, mn, tg
    r"bunu da okuyun",
    r"(bunlar da )?ilginizi çekebilir",
    r"(benzer|diğer|ilgili|son) haberler",
    r"çok okunanlar?",
    r"en çok okunan(lar)?",
    r"editörün seçtikleri",
    r"okumaya devam (et|edin)",
    r"həmçinin oxuyun",
    r"(oxşar|digər|son) xəbərlər",
    r"ən çox oxunan(lar)?",
    r"тағы (да )?оқыңыз",
    r"сондай-ақ оқыңыз",
    r"(ұқсас|соңғы|басқа) жаңалықтар",
    r"тақырып бойынша",
    r"көп оқылған(дар)?",
    r"дагы окуңуз",
    r"(окшош|башка|акыркы) жаңылыктар",
    r"shuningdek,? o['‘’ʻ]qing",
    r"mavzuga oid",
    r"o['‘’ʻ]xshash yangiliklar",
    r"ko['‘’ʻ]p o['‘’ʻ]qilgan(lar)?",
    r"шунингдек,? ўқинг",
    r"мавзуга оид",
    r"şeýle hem okaň",
    r"шулай ук укыгыз",
    r"мөн уншаарай",
    r"холбоотой мэдээ",
    r"инчунин (би)?хонед",
    # ro, sq, mk, bg, sr, hr, sk, hu, fi, et, lt, lv, ca, eu, gl, is
    r"citește și",
    r"citiți și",
    r"articole (similare|recomandate)",
    r"cele mai citite",
    r"lexo (edhe|gjithashtu)",
    r"lajme të ngjashme",
    r"më të lexuarat",
    r"прочитајте и",
    r"поврзани вести",
    r"свързани (новини|статии)",
    r"най-четени",
    r"повезане вести",
    r"povezane (vijesti|vesti)",
    r"najčitanije",
    r"čítajte (aj|tiež)",
    r"súvisiace články",
    r"najčítanejšie",
    r"lue myös",
    r"luetuimmat",
    r"aiheeseen liittyvät",
    r"loe veel",
    r"seotud (uudised|artiklid)",
    r"susiję straipsniai",
    r"skaitomiausi",
    r"saistītie raksti",
    r"llegeix (també|més)",
    r"llegiu (també|més)",
    r"notícies relacionades",
    r"més llegides",
    r"irakurri (ere|gehiago)",
    r"le tamén",
    r"lesa einnig",
    # ka, hy, el, he, ur, fa, bn, ta, te, ml, mr, gu, pa, sw, tl, ms, am
    r"ასევე წაიკითხეთ",
    r"(მსგავსი|სხვა) (სიახლეები|ამბები)",
    r"կարդացեք նաև",
    r"(նմանատիպ|այլ) նորություններ",
    r"σχετικά (άρθρα|θέματα)",
    r"δημοφιλή",
    r"כתבות (קשורות|נוספות)",
    r"עוד באתר",
    r"(مزید|یہ بھی) پڑھیں",
    r"متعلقہ خبریں",
    r"همچنین بخوانید",
    r"اخبار مرتبط",
    r"আরও পড়ুন",
    r"আরো পড়ুন",
    r"সম্পর্কিত (খবর|সংবাদ)",
    r"மேலும் படிக்க",
    r"இதையும் படிக்க",
    r"ఇవి కూడా చదవండి",
    r"ഇതും വായിക്കുക",
    r"हेही वाचा",
    r"यो पनि (पढ्नुहोस्|पढ्नुस्)",
    r"ಇದನ್ನೂ ಓದಿ",
    r"આ પણ વાંચો",
    r"ਇਹ ਵੀ ਪੜ੍ਹੋ",
    r"soma (pia|zaidi)",
    r"habari (zinazohusiana|nyingine)",
    r"basahin (din|rin)",
    r"(mga )?kaugnay na (balita|artikulo)",
    r"(berita|artikel) berkaitan",
    r"ተዛማጅ ዜናዎች",
)
TEASER_HEADING = Opening(_TEASER_PHRASES, r"(?!\w)")

# The same words as a label opening a line: "READ MORE: <another story's headline>".
INLINE_LABEL = Opening(
    (*_TEASER_PHRASES, r"lea", r"watch", r"listen", r"смотрите", r"lire"), r"\s*(:|-|–|—|»|>|\|)"
)

# A block that is only an advertising or loading label.
AD_LABEL = re.compile(
    r"^[\W_]*(advertisement|advertising|advert|ad|ads|sponsored|sponsor(ed)? content|"
    r"paid (content|post)|promoted|partner content|anzeige|werbung|reklama|publicidad|publicidade|"
    r"publicité|pubblicità|advertentie|annons|annonse|mainos|hirdetés|реклама|"
    r"loading|wird geladen|cargando|chargement|caricamento|carregando|ładowanie|загрузка)[\W_]*$",
    _FLAGS,
)
# "*Werbung. Dieser Beitrag enthält ..." / "Advertisement: ...": a disclosure line.
AD_DISCLOSURE = _starts(
    r"\*?(werbung|anzeige|advertisement|sponsored|reklama|publicidad|publicité|реклама)\s*[.:|]"
)

# "Photo: ...", "(Credit: ...)", "Crédits photos : ...", "Foto: dpa": credits and captions.
CREDIT = re.compile(
    r"(^[\W_]*(photos?|fotos?|crédits? photos?|photo credits?|credits?|image( credit)?|images|"
    r"picture|pic|bild(er)?|quelle|source|copyright|illustration|video|фото|фотография|"
    r"источник|zdjęcie|fot\.|foto ?de|imagen|imagem|immagine|crédito|credito)\s*[:.]"
    r"|^[\W_]*(©|\(c\)|copyright)"
    r"|\b(photos?|fotos?|credits?|crédits?|crédito|bild|фото|fot\.)\s*:\s*[^.!?]{1,80}[)\]]?\s*$)",
    _FLAGS,
)

# "© 2026 The Paper", "Copyright ...", "... All rights reserved.": a site's rights notice.
RIGHTS_SIGN = re.compile(r"^[\W_]*(©|\(c\)\s|copyright\b)", _FLAGS)
RIGHTS_RESERVED = re.compile(  # as a sentence of its own ("... Inc. All rights reserved.")
    r"(?:^|[.!?–—|]\s*)[\W_]*(?:all rights reserved|alle rechte vorbehalten|tous droits réservés|"
    r"todos los derechos reservados|todos os direitos reservados|tutti i diritti riservati|"
    r"wszelkie prawa zastrzeżone|все права защищены|усі права захищені|всі права захищені|"
    r"alle rechten voorbehouden|všechna práva vyhrazena|všetky práva vyhradené|"
    r"minden jog fenntartva|tüm hakları saklıdır|toate drepturile rezervate|"
    r"kaikki oikeudet pidätetään|alla rättigheter förbehållna|版权所有|版權所有|無断転載|"
    r"جميع الحقوق محفوظة|כל הזכויות שמורות)\s*(?:[.!。©]|$)",
    _FLAGS,
)

# "By Jane Doe", "Von Max Muster", "Por ...", "Автор: ...": a byline.
BYLINE = re.compile(
    r"^[\W_]*(?i:by|von|por|par|di|door|av|af|autor|autora|auteur|author|text|texte|tekst|"
    r"автор|текст)\s*:?\s+[A-ZÀ-ÖØ-ÞĀ-ŽА-ЯЁ]",  # a name follows, capitalised
)
# "aja/PAP", "(dpa)", "AFP/Reuters": an agency signature alone on a line.
AGENCY = re.compile(
    r"^[\W_]*([a-z]{1,5}\s*/\s*)?(pap|afp|dpa|ap|reuters|efe|ansa|apa|kna|epd|ria|тасс|"
    r"риа новости|интерфакс|ukrinform|укрінформ|sda|ats|belga|anp|tt|ntb)([\s/,]+[\w.]{1,12})*[\W_]*$",
    _FLAGS,
)

# Calls to action: follow us, subscribe, get the app, sign up, donate, log in.
_SOCIAL = (
    r"(twitter|facebook|instagram|telegram|whatsapp|youtube|tiktok|linkedin|pinterest|"
    r"google news|threads|bluesky|mastodon|vk|вконтакте|одноклассниках|дзен|viber|x\.com)"
)
# Each alternative is the *shape* of a call, not a word: "Follow us on X", a line that
# opens with "Subscribe", "download our app"; a story's sentence that merely mentions
# following, subscribing, newsletters or apps does not match.
CALL_TO_ACTION = re.compile(
    # follow us / join us on a network
    r"((^[\W_]*(follow|síguenos|siguenos|sígannos|suivez|folgen sie|folge|nos siga|siga-nos|"
    r"seguici|seguiteci|obserwuj|śledź|подписывайтесь|подпишитесь|следите за|join|únete|"
    r"rejoignez|find|like)\b"
    r"|\b(follow us|follow @|suivez-nous|folgen sie uns|folge uns|síguenos|siguenos|nos siga|"
    r"siga-nos|seguici|obserwuj nas|join us|like us|find us)\b).{0,80}" + _SOCIAL + r")"
    # "our YouTube channel", "canal de Telegram"
    r"|(" + _SOCIAL + r".{0,40}\b(channel|canal|kanal|канал)\b)"
    r"|(\b(channel|canal|kanal|канал)\b.{0,20}" + _SOCIAL + r")"
    # a line that opens with "Subscribe", or "subscribe now / to our ..."
    r"|^[\W_]*(subscribe|suscríbete|suscribirse|suscribite|abonnez-vous|abonnieren sie|"
    r"jetzt abonnieren|assine|iscriviti|abbonati|subskrybuj|подпишитесь|оформите подписку)\b"
    r"|\bsubscribe (now|today|here|to (our|this))\b"
    r"|\bzapraszamy (też |także )?do subskrypcji\b"
    # newsletters and apps, as an offer
    r"|\b(sign up|signup|inscrivez-vous|regístrate|anmelden|zapisz się|get|receive|join)\b"
    r".{0,60}\b(newsletter|boletín|infolettre|lettre d'information)"
    r"|^[\W_]*(our |the )?newsletter\W*$"
    # "download our free app", "get the NBC News app": the verb, the site's own app (a
    # story's "download Pandora, the free radio app" names someone else's)
    r"|\b(download|descarga|descargue|baixe|téléchargez|laden sie|get)\s+(our|the|"
    r"nuestra|la|notre|unsere|die|a nossa)\s+((?!of\b)[\w'’.-]+\s+){0,3}(app|apps|application|"
    r"aplicación|aplicativo)\b"
    r"|\bapps? for (ios|iphone) and android\b"
    # paywalls, memberships, donations, citation boxes
    r"|\b(already a (subscriber|member)|log ?in (for|to (continue|read))|subscribers? only|"
    r"become a (member|subscriber)|hazte (miembro|socio)|support (our|independent) journalism|"
    r"to (view|read|see|continue reading) (the|this) (full|whole|entire|rest of the) "
    r"(story|article)|"
    r"unterstützen sie (uns|unseren journalismus)|soutenez-nous|apoya (nuestro|el) periodismo|"
    r"pour citer cet article|how to cite( this)?|cite this (article|page)|zitiervorschlag|"
    r"cómo citar)\b"
    r"|^[\W_]*(please )?donate\b|\bdonate (now|today|here)\b|(?-i:\bDonate)\s*$"
    r"|^[\W_]*help us (continue|keep|to)\b"
    # "follow us on Facebook, Twitter and Instagram": a follow verb and two networks
    r"|\b(follow|seguir|seguirnos|suivre|folgen|segui|obserwuj|следите)\w*\b.{0,60}"
    + _SOCIAL
    + r".{0,30}"
    + _SOCIAL
    + r"|\b(subscribe|suscribirse|suscríbete|abonnieren|s'abonner)\s+(here|aquí|hier|ici)\b"
    # share this on ...
    r"|^[\W_]*(share|teilen|compartir|partager|udostępnij|поделиться)\b.{0,40}"
    + _SOCIAL
    # "found a typo? select it and press Ctrl+Enter"
    + r"|\bctrl\s*\+\s*enter\b"
    # Japanese and Chinese paywall and sign-up lines
    + r"|続きを(お)?読|会員限定|有料会員|登録すると|订阅|登录后|阅读全文",
    _FLAGS,
)

# Every call to action above says one of these: a cheap test first, since the full pattern
# is tried at every position of a line (the cleaners ask it of thousands of lines a page).
# Written in lower case and matched against the line in lower case: four times faster
# than a case-blind search, which folds the case of every character it tries.
_CALL_HINT = re.compile(
    _SOCIAL[:-1]  # the networks, and the words of every other call
    + r"|subscri|suscri|suscrí|unterstütz|abonn|assine|iscriv|abbon|subskry|подпиш|подписк|"
    r"newsletter|boletín|infolettre|lettre d'information|app|aplica|google play|log ?in|"
    r"member|miembro|socio|journalism|soutenez|periodismo|citer|cite|zitiervorschlag|citar|"
    r"donate|help us|ctrl|"
    r"続き|会員限定|有料会員|登録すると|订阅|登录后|阅读全文)",
    re.UNICODE,
)


# A store's badge ("Download on the App Store", "GET IT ON Google Play"): a few words
# naming the store. A sentence that mentions a store ("available to rent on Google Play")
# is the story's.
STORE_NAME = re.compile(r"\b(app store|google play|play store|app gallery)\b", _FLAGS)
_MAX_BADGE_WORDS = 8


def call_to_action(text: str) -> bool:
    """The line asks the reader to follow, subscribe, download, donate, log in, share."""
    if _CALL_HINT.search(text.lower()) is not None and CALL_TO_ACTION.search(text) is not None:
        return True
    return len(text.split()) <= _MAX_BADGE_WORDS and STORE_NAME.search(text) is not None


# "Comments", "3 Kommentare", "Commentaires (12)", "2 thoughts on “<title>”": the label
# over a comment section, the whole of a short block.
COMMENTS_LABEL = re.compile(
    r"^[\W_]*(\d+\s+)?"
    r"(comments?|reader comments|responses|replies|discussion|kommentare?|leserkommentare|"
    r"commentaires?|réactions|comentarios?|comentários?|commenti|komentarze?|komentáře|"
    r"reacties|kommentarer|kommentit|hozzászólások|yorumlar|yorum|комментарии|комментариев|"
    r"коментарі|коментари|σχόλια|תגובות|التعليقات|تعليقات|评论|留言|コメント|댓글)"
    r"(\s*[(\[]\d+[)\]])?[\s:.]*$"
    r"|^[\W_]*\d+\s+(thoughts|responses|replies|comments)\s+(on|to)\s+\S",
    _FLAGS,
)


# "Press contact:", "Kontakt:", "Contacto": the label over a press release's contact block.
CONTACT_LABEL = re.compile(
    r"^[\W_]*(press |media |presse|medien|pressekontakt|pressestelle|presse-?)?\s*"
    r"(contacts?|kontakte?|contactos?|contatti|contatto|kontakt dla mediów|"
    r"ansprechpartner(in|innen)?|ansprechpersonen?|контакты|для справок)"
    r"( (for|für) (the )?(media|presse|journalists|journalisten))?\s*:?\s*$",
    _FLAGS,
)
# An e-mail address or a telephone number: what a contact block gives.
CONTACT_DETAIL = re.compile(
    r"[\w.+-]+@[\w-]+\.[\w.-]+|(tel|phone|telefon|téléphone|teléfono|fax)\b|"
    r"\+\d[\d ()/-]{6,}\d",
    _FLAGS,
)

# A link or line that only says "more" or "back".
MORE_OR_BACK = re.compile(
    r"^[\W_]*(more|read more|continue reading|mehr|weiterlesen|weiter|plus|lire la suite|"
    r"czytaj więcej|więcej|read the full (story|article)|full story|"
    r"más|leer más|seguir leyendo|mais|leia mais|continua|więcej|czytaj dalej|ещё|еще|далее|"
    r"подробнее|back|zurück|retour|volver|voltar|indietro|wstecz|назад|top|nach oben)[\W_]*$",
    _FLAGS,
)
