"""A receipt's spending category from what it says: the kind of merchant and the items bought.

Pure (no database, no network) and deterministic. The knowledge is general: words for kinds of
shops, what they sell and how their receipts read ("TABLE 12", "PUMP # 02", "35.10 LITRE"), in
English, Malay, the Chinese characters of Malaysian receipts and a few German, French, Spanish
and Indonesian words. It never names a particular shop or brand.

``classify`` weighs the cues found in the merchant's name (strongest), in each line item and in
the rest of the receipt's text, picks the kind with the most weight, and maps it onto the user's
own list: a user who renamed "dining" to "eating out" gets "eating out", one who removed "fuel"
but keeps "transport" gets "transport", one with no category for the kind gets none. The answer
is ``(category, confidence, reason)``; no category when nothing on the receipt tells.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from core.reading.extraction.base import DEFAULT_CATEGORIES

# How much a cue counts by where it was found: the merchant's name says what the shop is; each
# item says what was bought; the rest of the text (headers, footers, labels) adds a little.
MERCHANT_FACTOR = 2.0
ITEM_FACTOR = 1.0
TEXT_FACTOR = 0.5
# Caps, so that a long list of items or a chatty footer does not drown the merchant's name.
ITEMS_CAP = 4.0
TEXT_CAP = 4.0
# Less weight than this on the best kind is no evidence: no category.
MIN_SCORE = 1.0


class Classification(NamedTuple):
    category: str | None
    confidence: float
    reason: str


NOTHING = Classification(None, 0.0, "nothing on the receipt tells its kind")


@dataclass(frozen=True, slots=True)
class _Group:
    kind: str
    weight: float
    layout: bool  # how the receipt reads, not what was bought: counts in full in the text
    spaced: re.Pattern[str]  # on the text as printed, words bounded
    squashed: re.Pattern[str] | None  # long words on the text without spaces or punctuation


# Cues by kind and weight. An entry is a word or phrase (spaces match any spacing); a trailing
# "*" lets it run on ("STATIONER*": stationers, stationery); a leading "~" makes it a regular
# expression. Accents are folded away before matching, so entries are written without them.
# Weights: 3 names the kind outright, 2 is strong, 1 suggests, 0.5 barely.
_CUES: dict[str, dict[float, str]] = {
    "groceries": {
        3: """SUPERMARKET* | SUPERMARKT* | SUPERMARCHE* | SUPERMERCADO* | HYPERMARKET* |
            HIPERMERCADO* | MINIMARKET* | MINI MARKET* | MINIMART | MINI MART | PASARAYA |
            GROCER* | KEDAI RUNCIT | RUNCIT | LEBENSMITTEL* | EPICERIE | ALIMENTACION |
            ALIMENTATION | GREENGROCER* | 超市 | 超级市场 | 超級市場 | 杂货 | 雜貨""",
        2: """MART | PASAR | PROVISION* | CONVENIENCE | BUTCHER* | FISHMONGER | LIQUOR* |
            BOTTLE SHOP | WINE SHOP | MERCADO | MARCHE | 市场 | 菜市""",
        1.5: "MARKET | BAKERY | BACKEREI | BOULANGERIE | PANADERIA | 面包 | 麵包",
        1: """VEGETABLES | SAYUR* | FRUITS? | BUAH | EGGS? | TELUR | MILK | SUSU | BREAD |
            BERAS | SUGAR | GULA | FLOUR | TEPUNG | COOKING OIL | MINYAK MASAK | GARAM | SALT |
            YOGH?URT* | YOGUR* | BUTTER | CHEESE | CEREALS? | TOMATO* | TOMATE* | ONIONS? |
            BAWANG | GARLIC | POTATO* | KENTANG | APPLES? | BANANA* | PISANG | MANDARIN* |
            LIMES? | LEMONS? | CHOCOLATE* | BISCUIT* | COOKIES | SNACKS? | NAPPIES | DIAPERS? |
            DETERGENT | TISSUES? | SHAMPOO | SOAP | SABUN | TOOTHPASTE | GARBAGE BAGS? |
            TRASH BAGS? | TOILET ROLLS? | MINERAL WATER | AIR MINERAL | JAMON | LECHE |
            HUEVOS? | MILCH | BROT | EIER | LAIT | OEUFS? | FISH BALLS? | SEAFOOD | DAGING |
            IKAN | FROZEN | ICE CREAM | AISKRIM | CORDIAL | CANNED | SAUSAGES? | CHAMPINON* |
            AGUACATE | MANZANA* | PLATANO* | QUESO | PAN DE | REUTILIZABLE | KILOS? |
            ~PRECIO\\s*KILO | ~PER\\s*KG | ~/\\s*KG | 蔬菜 | 鸡蛋 | 雞蛋 | 牛奶 | 大米 | 水果""",
        0.5: """~\\d+(?:[.,]\\d+)?\\s?(?:ML|L|LTR|KG|G|GM|GR|GRM|GRAM|GMS)(?![A-Z]) |
            MEAT | ORANGES? | WINE | ROTI""",
    },
    "dining": {
        3: """RESTAURANT* | RESTORAN | RESTAURANTE | RISTORANTE | RESTO | BISTRO* | EATERY |
            KOPITIAM | CAFETERIA | BRASSERIE | TRATTORIA | PIZZERIA | STEAKHOUSE | TAQUERIA |
            FOOD COURT | MEDAN SELERA | KEDAI MAKAN | RUMAH MAKAN | WARUNG | GASTSTATTE |
            GASTHAUS | GASTHOF | IMBISS | TAVERN* | TABERNA | CERVECERIA | 餐厅 | 餐廳 |
            餐馆 | 餐館 | 饭店 | 飯店 | 酒家 | 酒楼 | 酒樓 | 茶餐厅 | 茶餐廳 | 茶室 | 食堂 |
            美食 | 咖啡店""",
        2: """CAFE | COFFEE SHOP | COFFEEHOUSE | CANTEEN | KANTIN | DINER | GRILL | PUB | BAR |
            KITCHEN | CANTINA | MAMAK | GERAI | FAST FOOD | BAKERY CAFE | SUSHI | PIZZA* |
            BURGERS? | NOODLE HOUSE | DIM SUM | DINING | CHICKEN WINGS | ~\\d\\s*MEAT |
            ~\\d\\s*VEGE(?![A-Z])""",
        1: """FRIED | GORENG | GRILLED | ROAST | ROASTED | BRAISED | STEAMED | SOUPS? | SUP |
            SALADS? | CURRY | KARI | SATAY | SATE | SA-TAY | BURGER | PASTA | SPAGHETTI |
            SANDWICH* | FRIES | NOODLES? | MEE | MIE | BIHUN | KUEY TEOW | KWAY TEOW | NASI |
            RICE | TEH | KOPI | TEA | COFFEE | LATTE | CAPPUCCINO | ESPRESSO | MOCHA |
            AMERICANO | JUICE | JUS | SMOOTHIE | BEERS? | LAGER | DRAFT | DRAUGHT | PINTS? |
            BUCKET | GLASS | GLASSES | COCKTAIL | MOJITO | COMBO | SET MEAL | MEAL | MENU |
            MENU DIA | MENU DEL DIA | BREAKFAST | LUNCH | DINNER | BUFFET | APPETIZER | STARTER |
            DESSERT |
            TEMPURA | UDON | RAMEN | SASHIMI | BENTO | DON | DUMPLINGS? | XIAO LONG BAO | WINGS |
            STEAK | RIBS | RIB-EYE | RIBEYE | TACOS? | BURRITO | NAAN | TIKKA | MASALA |
            BIRYANI | DAL | ROTI CANAI | TOSAI | CHAPATI | PAD THAI | TOM YUM | TOMYUM | POUTINE |
            CHOWDER | FISH AND CHIPS | PANCAKES? | HOTCAKES? | WAFFLES? | OMELETTE | TOAST |
            EGG ROLLS? | SPRING ROLLS? | YONG TAU FOO | LAKSA | WONTON | CONGEE | PORRIDGE |
            BUBUR | ICED | KAFFEE | BIER | SCHNITZEL | CORTADO | CANA | TAPAS? | RACION |
            BOCADILLO | CERVEZA | PLAT DU JOUR | CAFE CREME | CROQUE | OCHA | 炒饭 | 炒飯 |
            鸡饭 | 雞飯 | 炒面 | 炒麵 | 汤面 | 湯麵 | 米粉 | 套餐 | 点心 | 點心 | 啤酒 | 咖啡 |
            奶茶 | 白饭 | 白飯""",
    },
    "fuel": {
        3: """PETROL* | DIESEL | GASOLINE | GASOLINA | UNLEADED | UNLD | SERVICE STATION |
            FILLING STATION | GAS STATION | STESEN MINYAK | TANKSTELLE | BENZIN | SANS PLOMB |
            GAZOLE | CARBURANT | GASOLEO | GASOIL | 汽油 | 柴油 | 油站""",
        2: "FUEL* | E10",
    },
    "transport": {
        3: """PARKING | PARKIR | LETAK KERETA | TOLL | PLAZA TOL | TAXI | TEKSI | CAR WASH |
            CARWASH | PARKHAUS | PARKEN | PEAGE | PEAJE | APARCAMIENTO | ESTACIONAMIENTO | FARE |
            TAMBANG | BUS TICKET | TRAIN TICKET | 停车 | 停車 | 泊车 | 的士""",
        2: """TOL | BUS | TRANSPORT* | TRAIN | RAILWAY | METRO | BRIDGE | TYRES? | TIRES? |
            LUBE | OIL CHANGE | SPARE PARTS | WORKSHOP | BENGKEL""",
        1.5: "MOTOR | AUTO",
        1: "LANE",
    },
    "health": {
        3: """PHARMAC* | FARMASI | APOTEK | APOTHEKE | FARMACIA | DRUGSTORE | CHEMIST | CLINIC* |
            KLINIK | HOSPITAL | DENTAL | DENTIST | OPTICAL | OPTICIAN | OPTOMETR* | OPTIK |
            PHYSIO* | 药房 | 藥房 | 诊所 | 診所 | 医院 | 醫院 | 牙科 | 药行 | 藥行""",
        2: "MEDICAL | MEDICINE | MEDICATION | UBAT | DOCTOR | CONSULTATION | PRESCRIPTION",
        1: """TABLETS? | CAPSULES? | ~\\d+\\s?MG(?![A-Z]) | SYRUP | VITAMIN* | PLASTERS? |
            BANDAGE | FACE MASKS? | THERMOMETER | ANTISEPTIC | SPECTACLES | HEALTH""",
    },
    "shopping": {
        3: """HARDWARE | STATIONER* | BOOKSHOP | BOOKSTORE | BOOK STORE | BOOKS | FURNITURE |
            PERABOT | DEPARTMENT STORE | BOUTIQUE | ELECTRONIC* | PERKAKASAN | ALAT TULIS |
            KEDAI BUKU | BAUMARKT | EISENWAREN | PAPETERIE | QUINCAILLERIE | LIBRAIRIE |
            FERRETERIA | PAPELERIA | LIBRERIA | ZAPATERIA | 五金 | 文具 | 书局 | 書局 | 书店 |
            書店 | 家具 | 电器 | 電器 | 百货 | 百貨""",
        2: """BOOK | ELECTRICAL | GIFTS? | DECO | HOME DECOR | LIGHTING | FASHION | CLOTHING |
            APPAREL | GARMENTS? | SHOES | FOOTWEAR | TEXTILE* | TAILOR* | HANDICRAFT* | CRAFTS? |
            COMPUTER* | GADGETS? | JEWEL* | GOLDSMITH | TOYS? | SPORTS | TOOLS | LED LIGHT* |
            PACKAGING | 服装 | 服裝 | 鞋""",
        1: """MACHINERY | GALLERY | TAPE | GLUE | PAPER | A4 | PENS? | PENCILS? | MARKER |
            FILE | FILES | FOLDER* | CLIPS? | RULER | SCISSORS? | LAMINAT* | BATTERY |
            BATTERIES | BAT | CABLE | DRILL |
            SCREWS? | BOLTS? | WALL ?PLUGS? | BRACKETS? | ROD | PAINT* | BRUSH | ROLLER | WRENCH |
            SPANNER | HAMMER | PLIERS? | SILICONE | PVC | PIPE | LED | LAMP | BULB | SOCKET |
            ADAPTOR | ADAPTER | PADLOCK | HANGERS? | COAT-HANGER | TOWEL | SHIRTS? | T-SHIRT |
            DRESS | JEANS | TROUSERS | SKIRT | SOCKS | SHOE | SANDALS? | HANDBAG | WALLET |
            CHOPPING BOARD | SPRAYER | ENVELOPES? | E/LOPE | CEMENT | WELDING | CUTTING DISC |
            PUNCH | COMPASS | CLAY | BADGES? | BINDER | CORRECTION | TOOL | KNIFE | CUTTER |
            STAPLER | NOTEBOOK | WARDROBE | CHAIR | SHELF | CURTAIN* | MIRROR | CUSHION | PILLOW |
            BLANKET | UMBRELLA | CHARGER | EARPHONES? | HEADPHONES? | PLASTIC | MOTH BALLS |
            STRETCH FILM | STELL | STEEL | ALUMINIUM | TRAY | COTTON | DENIM | LEATHER |
            POLYESTER | ~\\d+\\s?MM(?![A-Z]) | ~\\d+"\\s | ~\\d+\\s?W(?![A-Z])""",
        0.5: "TRADING | BAG | BAGS | PCS | PKT | ROLLS?",
    },
    "utilities": {
        3: """ELECTRICITY | ELECTRIC BILL | WATER BILL | BIL ELEKTRIK | BIL AIR | BROADBAND |
            UTILIT* | STROM | ELECTRICITE | ELECTRICIDAD | 电费 | 電費 | 水费 | 水費""",
        2: "INTERNET | TELECOM* | POSTPAID | PREPAID | RELOAD | TOP UP | TOPUP | 电话费 | 電話費",
    },
    "entertainment": {
        3: """CINEMA* | CINEPLEX | MOVIES? | THEATRE | THEATER | KARAOKE | KTV | BOWLING |
            ARCADE | CONCERT | MUSEUM | ZOO | THEME PARK | WATERPARK | AMUSEMENT | KINO | CINE |
            电影 | 電影 | 戏院 | 戲院""",
        2: "GAMES | GAME | ADMISSION | ENTRY TICKET",
    },
    "travel": {
        3: """HOTEL* | MOTEL | HOSTEL | HOSTAL | RESORT | GUEST HOUSE | GUESTHOUSE | HOMESTAY |
            AIRLINE* | AIRWAYS | TRAVEL AGENCY | 酒店 | 旅馆 | 旅館""",
        2: "INN | LODGE | FLIGHT | BOARDING PASS | ROOM CHARGE | CHECK-OUT | TOURS?",
    },
    "services": {
        3: """LAUNDR* | DOBI | DRY CLEAN* | SALON | BARBER* | HAIRDRESS* | HAIRCUT | REPAIRS? |
            POST OFFICE | POSTAGE | POSTSHOP | POST SHOP | COURIER | MONEY TRANSFER |
            REMITTANCE | INSURANCE | WASCHEREI | FRISEUR | COIFFEUR | PELUQUERIA | LAVANDERIA |
            理发 | 理髮 | 洗衣 | 快递 | 快遞 | 维修 | 維修""",
        2: """HAIR | BEAUTY | SPA | SHAVE | MASSAGE | MANICURE | PARCEL* | SHIPPING | PRINTING |
            PHOTOCOPY | TUITION | CLEANING | KEY CUT* | SERVIS | TRANSFER AMOUNT | AIRMAIL""",
    },
}

# How receipts of a kind read, wherever it is printed: these count in full in the text too.
_LAYOUT: dict[str, dict[float, str]] = {
    "dining": {
        2: """DINE IN | DINE-IN | EAT IN | TAKE ?AWAY | TAKE ?OUT | TO GO | GUEST CHECK | GUESTS? |
            SERVER | WAITER | WAITRESS | PAX | COVERS? | SERVICE CHARGE | ~SERV\\.?\\s*CHARGE |
            SVC CHA?R?G | GRATUITY | MESA | MEJA | TISCH | COUVERTS? |
            ~TABLE\\s*(?:NO\\.?|NUMBER|#)?\\s*[:.]?\\s*[A-Z]{0,3}\\s?\\d | ~TBL\\s*[:#]?\\s*\\d |
            堂食 | 外卖 | 外賣 | 打包""",
    },
    "fuel": {
        # The pump, the litres, the price per litre (a volume and a price of three decimals).
        3: """~RON\\s?9[2-9] | ~PUMP\\s*(?:NO\\.?|#|:)?\\s*\\d |
            ~\\d+[.,]\\d{2,3}\\s*(?:LITRES?|LITERS?|LTRS?)(?![A-Z]) |
            ~\\d+[.,]\\d{3}\\s*(?:L|LITRES?|LITERS?)?\\s*@\\s*\\$?\\s*\\d[.,]\\d{3}(?!\\d)""",
        2: "LITRE | LITER | /LITRE | ~/\\s*L(?![A-Z])",
        1: "PUMP",
    },
    "shopping": {2: "SALES ASSOCIATE | ~SOLD\\s*:\\s*\\d", 1: "~ITEMS?\\s*SOLD"},
    "services": {3: "WORKMANSHIP", 2: "LABOUR | LABOR CHARGE"},
    "entertainment": {2: "~SEAT\\s*(?:NO\\.?)?\\s*:?\\s*[A-Z]?\\d | ~HALL\\s*\\d"},
    "travel": {
        2: "CHECK-IN | CHECK IN DATE | CHECK-OUT | ARRIVAL | DEPARTURE | ~NIGHTS?\\s*:?\\s*\\d",
    },
}

# The names a user may give each kind's category, best first; "fuel" falls back to the
# transport names when the user keeps no category for fuel alone.
_NAMES: dict[str, tuple[str, ...]] = {
    "groceries": (
        "groceries",
        "grocery",
        "supermarket",
        "food",
        "household",
        "barang dapur",
        "runcit",
        "lebensmittel",
        "courses",
        "alimentation",
        "supermercado",
        "alimentación",
    ),
    "dining": (
        "dining",
        "eating out",
        "restaurants",
        "restaurant",
        "food & drink",
        "food and drink",
        "meals",
        "food",
        "makan",
        "essen",
        "comida",
        "repas",
    ),
    "fuel": (
        "fuel",
        "petrol",
        "gas",
        "gasoline",
        "diesel",
        "minyak",
        "benzin",
        "tanken",
        "carburant",
        "essence",
        "gasolina",
        "combustible",
    ),
    "transport": (
        "transport",
        "transportation",
        "car",
        "vehicle",
        "auto",
        "commute",
        "taxi",
        "parking",
        "kenderaan",
        "verkehr",
        "transporte",
    ),
    "health": (
        "health",
        "medical",
        "pharmacy",
        "medicine",
        "healthcare",
        "doctor",
        "kesihatan",
        "gesundheit",
        "santé",
        "salud",
    ),
    "shopping": (
        "shopping",
        "household",
        "home",
        "stuff",
        "belanja",
        "einkaufen",
        "achats",
        "compras",
    ),
    "utilities": ("utilities", "bills", "utility", "electricity", "internet", "phone", "bil"),
    "entertainment": (
        "entertainment",
        "fun",
        "leisure",
        "hobbies",
        "games",
        "movies",
        "hiburan",
        "freizeit",
        "loisirs",
        "ocio",
    ),
    "travel": ("travel", "holidays", "holiday", "vacation", "trips", "hotel", "hotels", "reisen"),
    "services": ("services", "service", "personal care", "repairs", "perkhidmatan"),
}
_FALLBACK = {"fuel": "transport"}
KINDS: tuple[str, ...] = tuple(_CUES)


def fold(text: str) -> str:
    """Upper case, accents folded away (É → E, ß → SS); other scripts kept as they are."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).upper()


def _squash(text: str) -> str:
    return "".join(c for c in text if c.isalnum())


def _entry(raw: str) -> tuple[str, str | None]:
    """One cue as a bounded pattern, and its letters alone when it is long enough to be found in
    text printed without spaces ("THAIRESTAURANT")."""
    left = r"(?<![A-Z])"
    if raw.startswith("~"):
        return left + raw[1:], None
    stem = raw.endswith("*")
    word = raw.rstrip("*")
    body = r"\s*".join(re.escape(part) for part in word.split())
    body = body.replace(r"\?", "?")  # "FRUITS?": an optional last letter
    if not word.isascii():
        return body, None
    right = "" if stem else r"(?![A-Z])"
    letters = "".join(c for c in word if c.isalnum() or c == "?")
    long = len(letters.replace("?", "")) >= 8
    return left + body + right, (re.escape(letters).replace(r"\?", "?") if long else None)


def _groups() -> list[_Group]:
    groups = []
    for layout, table in ((False, _CUES), (True, _LAYOUT)):
        for kind, by_weight in table.items():
            for weight, block in by_weight.items():
                entries = [_entry(e.strip()) for e in re.split(r"\s\|\s", block) if e.strip()]
                spaced = re.compile("|".join(f"(?:{p})" for p, _ in entries))
                long = [s for _, s in entries if s]
                squashed = re.compile("|".join(long)) if long else None
                groups.append(_Group(kind, float(weight), layout, spaced, squashed))
    return groups


_GROUPS = _groups()


@dataclass(frozen=True, slots=True)
class _Cue:
    weight: float
    layout: bool

    def in_text(self) -> float:
        return self.weight if self.layout else self.weight * TEXT_FACTOR


def _found(text: str) -> dict[str, dict[str, _Cue]]:
    """Each kind's cues in ``text``: the words found, each once, with its weight."""
    folded = fold(text)
    squashed = _squash(folded)
    found: dict[str, dict[str, _Cue]] = {}
    for group in _GROUPS:
        words = [" ".join(m.group(0).split()) for m in group.spaced.finditer(folded)]
        if group.squashed is not None:
            words += [m.group(0) for m in group.squashed.finditer(squashed)]
        cues = found.setdefault(group.kind, {})
        for word in words:
            # However it was spaced, a cue counts once; the first spelling found names it.
            same = next((w for w in cues if _squash(w) == _squash(word)), word)
            if same not in cues or cues[same].weight < group.weight:
                cues[same] = _Cue(group.weight, group.layout)
    return {kind: cues for kind, cues in found.items() if cues}


@dataclass
class _Evidence:
    score: float = 0.0
    words: dict[str, list[str]] = field(default_factory=dict)

    def add(self, where: str, points: float, words: Iterable[str]) -> None:
        self.score += points
        self.words.setdefault(where, []).extend(w.lower() for w in words)


def classify(
    merchant: str | None,
    items: Sequence[str] = (),
    categories: Sequence[str] = DEFAULT_CATEGORIES,
    *,
    text: str = "",
) -> Classification:
    """The category of ``categories`` the receipt belongs to, how sure, and why.

    ``merchant`` is the merchant's name, ``items`` the line items' descriptions, ``text`` the
    rest of the receipt (the whole OCR text will do): its words count for less, except those of
    how a kind of receipt reads ("TABLE 12", "PUMP # 02")."""
    evidence = {kind: _Evidence() for kind in KINDS}
    for kind, cues in _found(merchant or "").items():
        top = sorted((c.weight for c in cues.values()), reverse=True)[:2]
        evidence[kind].add("merchant", MERCHANT_FACTOR * sum(top), cues)
    from_items: dict[str, float] = {}
    item_words: dict[str, list[str]] = {}
    for description in items:
        for kind, cues in _found(description).items():
            strongest = max(c.weight for c in cues.values())
            from_items[kind] = from_items.get(kind, 0.0) + ITEM_FACTOR * strongest
            item_words.setdefault(kind, []).extend(cues)
    for kind, points in from_items.items():
        evidence[kind].add("items", min(points, ITEMS_CAP), dict.fromkeys(item_words[kind]))
    for kind, cues in _found(text).items() if text else ():
        points = min(sum(c.in_text() for c in cues.values()), TEXT_CAP)
        evidence[kind].add("text", points, cues)

    ranked = sorted(evidence.items(), key=lambda kv: kv[1].score, reverse=True)
    (kind, best), (_, second) = ranked[0], ranked[1]
    if best.score < MIN_SCORE:
        return NOTHING
    category = category_for(kind, categories)
    if category is None:
        return Classification(None, 0.0, f"{kind}, which is not one of the user's categories")
    return Classification(category, confidence(best.score, second.score), _reason(kind, best))


def confidence(best: float, second: float) -> float:
    """Sure when the best kind has much weight and no rival: a merchant's name naming its kind
    alone gives 0.9 or more; one item, or two kinds close together, stays below 0.7."""
    strength = 1.0 - math.exp(-best / 2.5)
    share = best / (best + second)
    return round(min(0.95, strength * share + 0.1), 2)


def _reason(kind: str, evidence: _Evidence) -> str:
    parts = [
        f"{where} {', '.join(dict.fromkeys(words))}" for where, words in evidence.words.items()
    ]
    return f"{kind}: " + "; ".join(parts)


def category_for(kind: str, categories: Sequence[str]) -> str | None:
    """The user's category for ``kind``: a name meaning it (a whole word of it: "food &
    groceries" counts for groceries), else for fuel the transport one; None when there is none."""
    names = [(c, c.strip().lower()) for c in categories]
    for candidate in (kind, _FALLBACK.get(kind)):
        if candidate is None:
            continue
        synonyms = _NAMES[candidate]
        for synonym in synonyms:
            exact = next((c for c, n in names if n == synonym), None)
            if exact is not None:
                return exact
        for synonym in synonyms:
            pattern = re.compile(rf"(?<!\w){re.escape(synonym)}(?!\w)")
            within = next((c for c, n in names if pattern.search(n)), None)
            if within is not None:
                return within
    return None
