"""A realistic, deterministic set of bank-statement transactions for the categoriser.

What real exports look like, and what makes them hard for a lookup table:

* the same payee written many ways: store numbers (``#0412``), card suffixes
  (``CARD 4821``, ``XXXX4821``), purchase dates inside the text (``03/14``), processor
  prefixes (``SQ *``, ``TST*``, ``PAYPAL *``), bank-specific wrappers (``POS PURCHASE``,
  ``PURCHASE AUTHORIZED ON 03/14 … S3820…``), city and state, and casing that changes
  with the bank (upper, title, lower);
* a long tail of local businesses (``Rosa's Taqueria``, ``Elm Street Pharmacy``), some of
  which only appear after the training period: only the words say what they are;
* a few payees used for more than one category (a warehouse club for groceries and for
  household goods, a marketplace for shopping and office supplies): no model can be
  right every time there.

Everything comes from ``numpy.random.default_rng(seed)``: the same seed gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

CITIES = (("SEATTLE", "WA"), ("PORTLAND", "OR"), ("OAKLAND", "CA"), ("SAN JOSE", "CA"), ("DENVER", "CO"),
          ("AUSTIN", "TX"), ("BOISE", "ID"), ("TACOMA", "WA"))


@dataclass(frozen=True)
class Payee:
    name: str  # how the payee is written by the card networks
    categories: tuple[tuple[str, float], ...]  # category and its share of this payee's rows
    amount: float  # median amount
    spread: float  # sigma of the log amount
    rate: float  # mean rows a week
    style: str = "card"  # card, processor, ach, online
    prefix: str = ""  # processor prefix (SQ *, TST*, PAYPAL *)
    code: bool = False  # online order codes after a star
    start: float = 0.0  # first appears at this share of the period (0 = from the start)


def _national() -> list[Payee]:
    one = lambda c: ((c, 1.0),)  # noqa: E731
    return [
        Payee("STARBUCKS STORE", one("Coffee"), 6.5, 0.3, 3.0),
        Payee("PEETS COFFEE", one("Coffee"), 5.8, 0.3, 0.8),
        Payee("DUTCH BROS", one("Coffee"), 6.2, 0.25, 0.5),
        Payee("SAFEWAY", one("Groceries"), 62, 0.6, 1.3),
        Payee("TRADER JOE S", one("Groceries"), 71, 0.5, 1.1),
        Payee("WHOLEFDS MKT", one("Groceries"), 54, 0.6, 0.6),
        Payee("KROGER", one("Groceries"), 66, 0.6, 0.5),
        Payee("COSTCO WHSE", (("Groceries", 0.75), ("Household", 0.25)), 180, 0.5, 0.45),
        Payee("TARGET", (("Shopping", 0.85), ("Household", 0.15)), 48, 0.7, 0.6),
        Payee("AMZN Mktp US", (("Shopping", 0.88), ("Office supplies", 0.12)), 34, 0.8, 1.6, style="online",
              code=True),
        Payee("Amazon.com", one("Shopping"), 29, 0.8, 0.5, style="online", code=True),
        Payee("AMAZON PRIME", one("Subscriptions"), 14.99, 0.0, 0.23, style="online", code=True),
        Payee("NETFLIX.COM", one("Subscriptions"), 15.49, 0.0, 0.23, style="online"),
        Payee("SPOTIFY USA", one("Subscriptions"), 11.99, 0.0, 0.23, style="online"),
        Payee("HULU", one("Subscriptions"), 7.99, 0.0, 0.23, style="online"),
        Payee("APPLE.COM/BILL", one("Subscriptions"), 2.99, 0.6, 0.4, style="online"),
        Payee("SHELL OIL", one("Fuel"), 48, 0.35, 0.9),
        Payee("CHEVRON", one("Fuel"), 52, 0.35, 0.7),
        Payee("ARCO", one("Fuel"), 44, 0.35, 0.4),
        Payee("UBER *TRIP", one("Rideshare"), 19, 0.5, 0.7, style="online", code=True),
        Payee("LYFT *RIDE", one("Rideshare"), 17, 0.5, 0.4, style="online", code=True),
        Payee("UBER *EATS", one("Dining"), 32, 0.4, 0.5, style="online", code=True),
        Payee("DOORDASH", one("Dining"), 38, 0.4, 0.6, style="online", prefix=""),
        Payee("CHIPOTLE", one("Dining"), 13, 0.3, 0.6),
        Payee("MCDONALD'S", one("Dining"), 9, 0.4, 0.5),
        Payee("PG&E", one("Utilities"), 140, 0.3, 0.23, style="ach"),
        Payee("CITY OF SEATTLE UTIL", one("Utilities"), 95, 0.2, 0.23, style="ach"),
        Payee("COMCAST CABLE", one("Phone & internet"), 89.99, 0.0, 0.23, style="ach"),
        Payee("VERIZON WIRELESS", one("Phone & internet"), 120, 0.05, 0.23, style="ach"),
        Payee("T-MOBILE", one("Phone & internet"), 85, 0.05, 0.23, style="ach"),
        Payee("GEICO", one("Insurance"), 148, 0.0, 0.23, style="ach"),
        Payee("STATE FARM", one("Insurance"), 112, 0.0, 0.23, style="ach"),
        Payee("CVS/PHARMACY", one("Health"), 24, 0.6, 0.4),
        Payee("WALGREENS", one("Health"), 21, 0.6, 0.3),
        Payee("KAISER PERMANENTE", one("Health"), 40, 0.3, 0.1, style="ach"),
        Payee("24 HOUR FITNESS", one("Health"), 49.99, 0.0, 0.23, style="ach"),
        Payee("AMC", one("Entertainment"), 31, 0.3, 0.2),
        Payee("TICKETMASTER", one("Entertainment"), 140, 0.5, 0.06, style="online", code=True),
        Payee("STEAMGAMES.COM", one("Entertainment"), 22, 0.5, 0.1, style="online"),
        Payee("DELTA AIR", one("Travel"), 420, 0.4, 0.04, style="online"),
        Payee("UNITED", one("Travel"), 380, 0.4, 0.04, style="online"),
        Payee("MARRIOTT", one("Travel"), 260, 0.4, 0.04),
        Payee("AIRBNB", one("Travel"), 540, 0.4, 0.04, style="online", code=True),
        Payee("HOME DEPOT", (("Household", 0.9), ("Shopping", 0.1)), 64, 0.7, 0.4),
        Payee("IKEA", one("Household"), 120, 0.7, 0.1),
        Payee("STAPLES", one("Office supplies"), 38, 0.6, 0.2),
        Payee("OFFICE DEPOT", one("Office supplies"), 42, 0.6, 0.1),
        Payee("ACME CORP PAYROLL", one("Salary"), 3850, 0.01, 0.46, style="ach"),
        Payee("PAYPAL *TRANSFER", one("Transfers"), 120, 0.8, 0.3, style="online", code=True),
        Payee("VENMO", one("Transfers"), 45, 0.8, 0.5, style="ach"),
        Payee("ZELLE TO", one("Transfers"), 150, 0.7, 0.2, style="ach"),
        Payee("ROCKET MORTGAGE", one("Housing"), 2450, 0.0, 0.23, style="ach"),
        Payee("HOA DUES", one("Housing"), 320, 0.0, 0.23, style="ach"),
    ]


# The long tail: local businesses named "<owner or street> <what they are>".
LOCAL_WORDS = {
    "Dining": ("Pizza", "Pizzeria", "Taqueria", "Thai Kitchen", "Sushi Bar", "Grill", "Bistro", "Noodle House",
               "Burger Co", "Diner", "Ramen"),
    "Coffee": ("Coffee", "Coffee Roasters", "Espresso", "Cafe"),
    "Groceries": ("Market", "Grocery", "Foods", "Produce"),
    "Health": ("Pharmacy", "Dental", "Medical Clinic", "Physical Therapy", "Optometry"),
    "Household": ("Hardware", "Home Supply", "Garden Center"),
    "Fuel": ("Gas", "Fuel Stop"),
    "Entertainment": ("Cinema", "Bowling", "Theater"),
    "Shopping": ("Boutique", "Books", "Outfitters"),
}
LOCAL_OWNERS = ("Rosa's", "Elm Street", "Harbor", "Golden Gate", "Sunset", "Maple", "Lucky", "Bay", "Northside",
                "Pacific", "Old Town", "Green Valley", "Blue Moon", "Cedar", "Riverside", "Hilltop", "Mission",
                "Evergreen", "Union", "Liberty", "Capitol", "Lakeside", "Summit", "Oak Park")
LOCAL_MEDIAN = {"Dining": 28, "Coffee": 6, "Groceries": 35, "Health": 60, "Household": 45, "Fuel": 42,
                "Entertainment": 25, "Shopping": 55}


def _local(rng: np.random.Generator) -> list[Payee]:
    payees = []
    for category, words in LOCAL_WORDS.items():
        owners = rng.choice(len(LOCAL_OWNERS), size=len(words) + 3, replace=False)
        for i, owner in enumerate(owners):
            word = words[i % len(words)]
            name = f"{LOCAL_OWNERS[owner]} {word}".upper()
            late = rng.random() < 0.3  # opens after the training period has started
            payees.append(Payee(
                name, ((category, 1.0),), LOCAL_MEDIAN[category], 0.45, float(rng.uniform(0.05, 0.35)),
                prefix=str(rng.choice(["", "", "SQ *", "TST* "])) if category in ("Dining", "Coffee") else "",
                start=float(rng.uniform(0.6, 0.95)) if late else 0.0,
            ))
    return payees


def _case(rng: np.random.Generator, text: str) -> str:
    roll = rng.random()
    if roll < 0.6:
        return text.upper()
    if roll < 0.85:
        return text.title()
    return text.lower()


def _code(rng: np.random.Generator, n: int = 9) -> str:
    alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    return "".join(rng.choice(alphabet, n))


def _describe(rng: np.random.Generator, payee: Payee, day: dt.date, card: str) -> str:
    city, state = CITIES[int(rng.integers(len(CITIES)))]
    store = f"#{rng.integers(100, 9999):04d}" if rng.random() < 0.7 else f"{rng.integers(10, 99999)}"
    mmdd = f"{day.month:02d}/{day.day:02d}"
    name = payee.prefix + payee.name
    if payee.style == "ach":
        body = rng.choice([
            f"{name} ACH PMT {rng.integers(10**6, 10**7)}", f"{name} AUTOPAY", f"ACH DEBIT {name} {day:%y%m%d}",
            f"{name} ONLINE PMT CKF{rng.integers(10**8, 10**9)}POS",
        ])
        if "PAYROLL" in name:
            body = rng.choice([f"{name} DIR DEP", f"DIRECT DEP {name} PPD ID {rng.integers(10**9, 10**10)}"])
        return _case(rng, str(body))
    if payee.style == "online":
        tail = f"*{_code(rng)}" if payee.code else ""
        body = rng.choice([
            f"{name}{tail}", f"{name}{tail} {rng.choice(['SEATTLE WA', 'AMZN.COM/BILL WA', 'CA', 'NY'])}",
            f"POS PURCHASE {name}{tail} {mmdd}", f"{name}{tail} CARD {card}",
        ])
        return _case(rng, str(body))
    body = rng.choice([
        f"POS PURCHASE {name} {store} {city} {state} {mmdd}",
        f"DEBIT CARD PURCHASE - {name} {city} {state} CARD {card}",
        f"PURCHASE AUTHORIZED ON {mmdd} {name} {city} {state} S{rng.integers(10**11, 10**12)} CARD {card}",
        f"{name} {store} {city} {state}",
        f"{name} {store}",
        f"CHECKCARD {mmdd} {name} {city} {state} XXXXXXXXXXXX{card}",
    ])
    return _case(rng, str(body))


def realistic_transactions(*, seed: int = 7, start: dt.date = dt.date(2023, 1, 1), days: int = 730) -> list[dict]:
    """Rows ``{date, description, amount, category}`` in date order."""
    rng = np.random.default_rng(seed)
    payees = _national() + _local(rng)
    cards = [f"{rng.integers(1000, 9999)}" for _ in range(3)]
    rows = []
    for offset in range(days):
        day = start + dt.timedelta(days=offset)
        share = offset / days
        for payee in payees:
            if share < payee.start:
                continue
            for _ in range(int(rng.poisson(payee.rate / 7))):
                labels, weights = zip(*payee.categories, strict=True)
                category = labels[int(rng.choice(len(labels), p=np.asarray(weights) / sum(weights)))]
                amount = payee.amount * float(rng.lognormal(0, payee.spread)) if payee.spread else payee.amount
                rows.append({
                    "date": day.isoformat(),
                    "description": _describe(rng, payee, day, cards[int(rng.integers(len(cards)))]),
                    "amount": f"{-amount if category not in ('Salary',) else amount:.2f}",
                    "category": category,
                })
    return rows
