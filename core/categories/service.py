"""The user's spending categories: the default list until they change it, then their own.

A user without rows in ``user_categories`` has the default list; the first change copies the
defaults in, so add, rename and remove all work on one list. Names are kept in lower case, as
receipts, budgets and typed corrections already keep them, so "Pets" and "pets" are one category
everywhere and a plain unique constraint forbids duplicates.

Renaming carries the user's receipts, remembered merchant choices and budget over to the new name
in the same transaction; removing leaves the receipts uncategorised and removes the category's
budget and remembered merchant choices. Functions flush, never commit.

A read receipt's category (``choose_category``): the caption naming one, else the user's own
earlier choice for the merchant, else the extractor's pick if it is on the user's list, else the
merchant's kind and the items (``classify``), else what other users' receipts of the merchant
clearly agree on, else none.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from core.categories.classify import classify
from core.categories.repository import CategoryRepository, MerchantCategoryRepository
from core.contracts import ReceiptExtraction
from core.db.models import UserCategory
from core.errors import ReceiptSnapError
from core.reading.extraction.base import DEFAULT_CATEGORIES
from core.summaries.labels import UNCATEGORISED

MAX_CATEGORIES = 30
MAX_NAME_LENGTH = 50
# What summaries call receipts without a category: a category of that name would be added to them.
RESERVED_NAMES = frozenset({UNCATEGORISED, "uncategorized"})

# Characters a name may not hold: controls (tabs and newlines included), line and paragraph
# separators, private-use, surrogates, unassigned, and the bidirectional overrides that can make
# a name display as something else.
_REFUSED_CLASSES = {"Cc", "Cs", "Co", "Cn", "Zl", "Zp"}
_BIDI_CONTROLS = set("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_CAPTION_PUNCTUATION = "#.,;:!?()\"'"

# Other users' receipts of the merchant agree when at least this many users gave the category
# and it holds this share of their votes; only the name crosses over, and only a name on the
# user's own list is taken. It is a guess about another person's habits: always doubtful (the
# card's threshold is 0.7), so the user confirms it with one tap.
OTHERS_MIN_USERS = 2
OTHERS_MIN_SHARE = 2 / 3
OTHERS_CONFIDENCE = 0.6


class CategoryError(ReceiptSnapError):
    """A category change that cannot be made; ``code`` says why (the bot words each case)."""

    status_code = 422
    code = "invalid_category"

    def __init__(self, message: str, *, code: str, name: str = "") -> None:
        super().__init__(message, code=code)
        self.name = name


@dataclass(frozen=True, slots=True)
class Detached:
    """What a category's receipts, budget and merchant choices became when it went away."""

    receipts: int
    budget_removed: bool
    merchants: int


@dataclass(frozen=True, slots=True)
class Renamed:
    old: str
    new: str
    receipts: int
    budget_moved: bool


@dataclass(frozen=True, slots=True)
class Removed:
    name: str
    detached: Detached


@dataclass(frozen=True, slots=True)
class Reset:
    removed: list[str]
    receipts: int
    budgets: list[str]


def clean_name(raw: str) -> str:
    """A category name as stored: trimmed, inner spaces collapsed, lower case, 1-50 characters,
    no control characters."""
    text = raw.strip()
    if any(_refused(ch) for ch in text):
        raise CategoryError("no control characters", code="control_characters", name=text)
    name = " ".join(text.split()).lower()
    if not name:
        raise CategoryError("a name of 1 to 50 characters", code="empty")
    if len(name) > MAX_NAME_LENGTH:
        raise CategoryError("at most 50 characters", code="too_long", name=name)
    if name in RESERVED_NAMES:
        raise CategoryError(
            f"another name than {UNCATEGORISED}, which receipts without a category show",
            code="reserved",
            name=name,
        )
    return name


def _refused(ch: str) -> bool:
    return unicodedata.category(ch) in _REFUSED_CLASSES or ch in _BIDI_CONTROLS


def _loose(raw: str) -> str:
    return " ".join(raw.split()).lower()


def own_categories(session: Session, *, user_id: int) -> list[str] | None:
    """The user's own list, or None when they use the default list."""
    names = CategoryRepository(session).names(user_id=user_id)
    return _display_order(names) if names else None


def list_categories(session: Session, *, user_id: int) -> list[str]:
    """The categories the user chooses from: their own first, then those of the default list."""
    return own_categories(session, user_id=user_id) or list(DEFAULT_CATEGORIES)


def _display_order(names: list[str]) -> list[str]:
    defaults = set(DEFAULT_CATEGORIES)
    return [n for n in names if n not in defaults] + [n for n in names if n in defaults]


def find(names: Sequence[str], raw: str) -> str | None:
    """The name in ``names`` that ``raw`` means (case and spacing aside), or None."""
    wanted = _loose(raw)
    return next((n for n in names if n == wanted), None)


def add_category(session: Session, *, user_id: int, name: str) -> str:
    _lock_user(session, user_id)
    names = list_categories(session, user_id=user_id)
    new = clean_name(name)
    if new in names:
        raise CategoryError("you have it already", code="duplicate", name=new)
    # ">=": a list may hold more than MAX_CATEGORIES (migration 0013 put on it every category
    # the user's receipts, budgets and merchant choices used: their data wins over the cap), and
    # adding stays refused while it does; rename and remove still work.
    if len(names) >= MAX_CATEGORIES:
        raise CategoryError(f"at most {MAX_CATEGORIES} categories", code="too_many", name=new)
    _materialise(session, user_id)
    CategoryRepository(session).create(user_id=user_id, names=[new])
    return new


def ensure_category(session: Session, *, user_id: int, name: str) -> tuple[str, bool]:
    """The user's category called ``name``, added to their list when new; and whether it was."""
    new = clean_name(name)
    if new in list_categories(session, user_id=user_id):
        return new, False
    return add_category(session, user_id=user_id, name=new), True


def rename_category(session: Session, *, user_id: int, old: str, new: str) -> Renamed:
    """Rename a category; the user's receipts, merchant choices and budget follow it."""
    _lock_user(session, user_id)
    names = list_categories(session, user_id=user_id)
    current = find(names, old)
    if current is None:
        raise CategoryError("not one of your categories", code="unknown", name=_loose(old))
    target = clean_name(new)
    if target == current:
        raise CategoryError("that is its name already", code="same_name", name=target)
    if target in names:
        raise CategoryError("you have it already", code="duplicate", name=target)
    for row in _materialise(session, user_id):
        if row.name == current:
            row.name = target
    repo = CategoryRepository(session)
    receipts = repo.recategorise_receipts(user_id=user_id, old=current, new=target)
    repo.recategorise_merchants(user_id=user_id, old=current, new=target)
    budget_moved = repo.has_budget(user_id=user_id, category=current)
    if budget_moved:
        # A budget already on the new name belonged to no category of the list: it gives way.
        repo.delete_budget(user_id=user_id, category=target)
        repo.move_budget(user_id=user_id, old=current, new=target)
    session.flush()
    return Renamed(old=current, new=target, receipts=receipts, budget_moved=budget_moved)


def remove_category(session: Session, *, user_id: int, name: str) -> Removed:
    """Remove a category: its receipts become uncategorised, its budget goes."""
    _lock_user(session, user_id)
    names = list_categories(session, user_id=user_id)
    current = find(names, name)
    if current is None:
        raise CategoryError("not one of your categories", code="unknown", name=_loose(name))
    if len(names) == 1:
        raise CategoryError("you need at least one category", code="last_one", name=current)
    for row in _materialise(session, user_id):
        if row.name == current:
            CategoryRepository(session).remove(row)
    detached = _detach(session, user_id, current)
    session.flush()
    return Removed(name=current, detached=detached)


def reset_categories(session: Session, *, user_id: int) -> Reset:
    """Back to the default list; categories not on it are removed as by ``remove_category``."""
    _lock_user(session, user_id)
    own = own_categories(session, user_id=user_id) or []
    gone = [n for n in own if n not in DEFAULT_CATEGORIES]
    receipts, budgets = 0, []
    for name in gone:
        detached = _detach(session, user_id, name)
        receipts += detached.receipts
        if detached.budget_removed:
            budgets.append(name)
    CategoryRepository(session).delete_all(user_id=user_id)
    session.flush()
    return Reset(removed=gone, receipts=receipts, budgets=budgets)


@dataclass(frozen=True, slots=True)
class Chosen:
    """A read receipt's category, how sure (None: as sure as the extractor said nothing), and
    where it came from: caption, merchant (the user's choice), extractor, classifier, others."""

    category: str | None
    confidence: float | None
    source: str


def choose_category(
    session: Session, *, user_id: int, caption: str | None, extraction: ReceiptExtraction
) -> Chosen:
    """The category of a receipt just read (the order is in the module's docstring)."""
    categories = list_categories(session, user_id=user_id)
    if named := category_from_caption(caption, categories):
        return Chosen(named, 1.0, "caption")
    merchant = extraction.merchant.name
    merchants = MerchantCategoryRepository(session)
    if remembered := merchants.lookup(user_id=user_id, merchant=merchant):
        return Chosen(remembered, 1.0, "merchant")
    # The extractor chose from the list the job carried: a name renamed or removed since is not
    # taken (the classifier below maps the kind onto the list as it is now).
    if extraction.category and (picked := find(categories, extraction.category)):
        return Chosen(picked, extraction.confidence.get("category"), "extractor")
    guess = classify(
        merchant,
        [item.description for item in extraction.line_items],
        categories,
        text=extraction.merchant.address or "",
    )
    if guess.category is not None:
        return Chosen(guess.category, guess.confidence, "classifier")
    if agreed := others_category(session, user_id=user_id, merchant=merchant, names=categories):
        return Chosen(agreed, OTHERS_CONFIDENCE, "others")
    return Chosen(None, None, "none")


def others_category(
    session: Session, *, user_id: int, merchant: str | None, names: Sequence[str]
) -> str | None:
    """The category other users' receipts of ``merchant`` clearly agree on, if it is one of
    ``names`` (the user's list)."""
    votes = MerchantCategoryRepository(session).others_votes(user_id=user_id, merchant=merchant)
    if not votes:
        return None
    top, users = max(votes.items(), key=lambda kv: (kv[1], kv[0]))
    if users < OTHERS_MIN_USERS or users < OTHERS_MIN_SHARE * sum(votes.values()):
        return None
    return find(names, top)


def category_from_caption(
    caption: str | None, categories: Sequence[str] = DEFAULT_CATEGORIES
) -> str | None:
    """A caption naming one of the user's categories ("groceries", "#dining", "fuel for the
    trip", "eating out with Ana") is the user's hint; the longest name found wins."""
    if not caption:
        return None
    text = f" {_words(caption)} "
    found = [c for c in categories if _words(c) and f" {_words(c)} " in text]
    return max(found, key=len, default=None)


def _words(text: str) -> str:
    return " ".join(w.strip(_CAPTION_PUNCTUATION) for w in text.lower().split()).strip()


def _lock_user(session: Session, user_id: int) -> None:
    CategoryRepository(session).lock_user(user_id=user_id)


def _materialise(session: Session, user_id: int) -> list[UserCategory]:
    """The user's rows, made from the default list on their first change."""
    repo = CategoryRepository(session)
    return repo.rows(user_id=user_id) or repo.create(user_id=user_id, names=DEFAULT_CATEGORIES)


def _detach(session: Session, user_id: int, name: str) -> Detached:
    repo = CategoryRepository(session)
    receipts = repo.recategorise_receipts(user_id=user_id, old=name, new=None)
    merchants = repo.forget_merchants(user_id=user_id, category=name)
    budget_removed = repo.delete_budget(user_id=user_id, category=name)
    return Detached(receipts=receipts, budget_removed=budget_removed, merchants=merchants)
