"""The demo workspaces and their users, as data: what each business sells, where, to
whom and when; every money stream of its statements; budgets, goals and personas."""

from __future__ import annotations

from dataclasses import dataclass, field

from finance.demo.calendar import by_month
from finance.demo.streams import (
    EVENINGS_OUT,
    WEEKENDS,
    WORKDAYS,
    Monthly,
    Random,
    Semimonthly,
    Stream,
    Weekly,
)
from finance.models import Membership, Transaction, Workspace

# --- the shapes of the data -----------------------------------------------------------------


@dataclass(frozen=True)
class ProductSpec:
    sku: str
    name: str
    category: str
    cost: float
    price: float
    supplier: int  # index into the business's suppliers
    per_day: float  # mean units a day over a year, at the start of the history
    peak_doy: int | None = None  # the day of the year demand peaks
    kappa: float = 0.0  # how sharp the peak is (0: no yearly season)
    floor: float = 1.0  # off-season demand relative to the peak shape
    weekend: float = 1.0  # extra factor on Saturday and Sunday
    holidays: dict[str, float] = field(default_factory=dict)  # extra factors on named days
    shelf_life_days: int | None = None  # days a unit can be sold after it arrives (None: it keeps)


@dataclass(frozen=True)
class Channel:
    """How a warehouse's takings reach the books each day (card deposit, cash…)."""

    category: str
    merchant: str
    template: str
    share: float
    account: str = "Operating account"


@dataclass(frozen=True)
class WarehouseSpec:
    code: str
    name: str
    location: str
    share: float  # of the business's demand
    other_revenue: float  # takings a day not tracked as stock (coffee, cut keys…)
    channels: tuple[Channel, ...]


@dataclass(frozen=True)
class BusinessSpec:
    growth: float
    months: tuple[float, ...]
    weekdays: tuple[float, ...]
    holidays: dict[str, float]
    runup: float  # extra takings on 23 December, ramping up from ``runup_from``
    runup_from: int
    after_christmas: float
    noise: float
    warehouses: tuple[WarehouseSpec, ...]
    suppliers: tuple[tuple[str, str, float, float, int], ...]  # name, email, lead mean, sd, MOQ
    products: tuple[ProductSpec, ...]
    black_friday_discount: float = 0.0


@dataclass(frozen=True)
class WorkspaceSpec:
    slug: str
    name: str
    kind: str
    growth: float  # trend of the streams marked ``trend``
    revenue_categories: tuple[str, ...]
    expense_categories: tuple[str, ...]
    streams: tuple[Stream, ...]
    goals: tuple[tuple[str, float, int, float, str], ...]  # name, target, months ahead, progress, owner
    budget_categories: int
    business: BusinessSpec | None = None


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str | None  # None: a persona without a usable password (cannot log in)
    persona: str
    is_staff: bool = False
    is_superuser: bool = False
    roles: dict[str, str] = field(default_factory=dict)  # workspace slug -> role
    activity: dict[str, float] = field(default_factory=dict)  # workspace slug -> share of sessions


# --- the demo workspaces and users -------------------------------------------------------------


BAKERY = WorkspaceSpec(
    slug="demo-sunrise-bakery",
    name="Sunrise Bakery & Café",
    kind=Workspace.Kind.BUSINESS,
    growth=0.09,
    revenue_categories=("Counter sales", "Catering", "Wholesale"),
    expense_categories=(
        "Rent", "Payroll", "Taxes", "Ingredients", "Supplies", "Utilities", "Marketing",
        "Insurance", "Software subscriptions", "Fuel & transport", "Repairs & maintenance",
        "Bank fees", "Meals & entertainment", "Waste & cleaning",
    ),
    budget_categories=7,
    goals=(
        ("New deck oven", 18000, 7, 0.62, "demo"),
        ("Cash reserve: three months of rent", 35000, 13, 0.55, "demo"),
        ("Second location deposit", 60000, 30, 0.16, "demo"),
    ),
    streams=(
        # revenue besides the daily takings
        Stream("Catering", "{store}", "ACH DEPOSIT {STORE} INV {n}", Random(0.22, WORKDAYS, by_month(jun=1.4, nov=1.5, dec=2.6)),
               480, 0.5, kind=Transaction.Kind.REVENUE, trend=True,
               stores=("Brightline Dental", "Oakridge Law LLP", "Springfield Library", "Maple Tech Inc")),
        Stream("Wholesale", "Blue Door Café", "ACH DEPOSIT BLUE DOOR CAFE", Weekly((0, 3)), 340, 0.15,
               kind=Transaction.Kind.REVENUE, trend=True),
        Stream("Wholesale", "Greenleaf Grocers", "ACH DEPOSIT GREENLEAF GROCERS {n}", Weekly((4,)), 520, 0.12,
               kind=Transaction.Kind.REVENUE, trend=True),
        # rent and people
        Stream("Rent", "Oakwood Property Management", "OAKWOOD PROPERTY MGMT RENT 123 MAIN ST", Monthly(1), 9500,
               escalate=0.03),
        Stream("Rent", "Riverside Market Hall", "RIVERSIDE MARKET HALL LEASE", Monthly(1), 2200, escalate=0.03),
        Stream("Payroll", "Gusto", "GUSTO PAYROLL {mm}/{dd}", Semimonthly(), 10200, 0.03, trend=True),
        Stream("Taxes", "Gusto", "GUSTO TAX {mm}/{dd}", Semimonthly(), 1950, 0.04, trend=True),
        Stream("Taxes", "CDTFA", "CDTFA EFT SALES TAX {num}", Monthly(20), 0, 0.02, share=0.025),
        Stream("Taxes", "IRS", "IRS USATAXPYMT {num}", Monthly(15, (1, 4, 6, 9)), 4500, 0.1, trend=True),
        # what goes into the oven
        Stream("Ingredients", "Sysco", "SYSCO CORP {store}", Weekly((0, 3)), 0, 0.08, share=0.15,
               stores=("0231", "0231", "0417")),
        Stream("Ingredients", "Costco", "COSTCO WHSE #{store}", Weekly((5,)), 420, 0.35, trend=True,
               stores=("0113", "0113", "0482")),
        Stream("Ingredients", "Valley Dairy Co-op", "VALLEY DAIRY CO-OP INV {n}", Weekly((1, 4)), 0, 0.1, share=0.05),
        Stream("Ingredients", "King Arthur Baking", "KING ARTHUR BAKING CO {num}", Monthly(8), 0, 0.12, share=0.03),
        Stream("Supplies", "Amazon", "AMZN Mktp US*{code}", Random(0.22), 85, 0.6),
        Stream("Supplies", "WebstaurantStore", "WEBSTAURANTSTORE {num}", Random(0.07), 260, 0.5),
        Stream("Supplies", "Pacific Packaging Supply", "PACIFIC PACKAGING SUPPLY", Monthly(12), 640, 0.2, trend=True),
        Stream("Utilities", "PG&E", "PG&E WEB ONLINE", Monthly(18), 1450, 0.08,
               months=by_month(jan=1.2, feb=1.15, mar=1.05, apr=0.95, may=0.92, jun=0.98, jul=1.05,
                              aug=1.05, sep=0.97, oct=0.95, nov=1.05, dec=1.2)),
        Stream("Utilities", "City of Springfield", "CITY OF SPRINGFIELD UTIL WATER", Monthly(22), 240, 0.12),
        Stream("Utilities", "Comcast", "COMCAST BUSINESS 8155", Monthly(9), 189.90),
        Stream("Marketing", "Meta", "FACEBK *{code}", Monthly(3), 420, 0.3, months=by_month(nov=1.4, dec=1.6)),
        Stream("Marketing", "Google Ads", "GOOGLE *ADS{num}", Monthly(5), 350, 0.25),
        Stream("Marketing", "Yelp", "YELP INC 855-8499357", Monthly(11), 299),
        Stream("Marketing", "Vistaprint", "VISTAPRINT.COM {num}", Random(0.02), 180, 0.4),
        Stream("Insurance", "Hiscox", "HISCOX INC INS PREM", Monthly(6), 286.40),
        Stream("Insurance", "State Fund", "STATE FUND WORK COMP", Monthly(20), 640, 0.02, trend=True),
        Stream("Software subscriptions", "Square", "SQ *SQUARE SAAS", Monthly(2), 69.00),
        Stream("Software subscriptions", "Intuit", "INTUIT *QBOOKS ONLINE", Monthly(14), 90.00),
        Stream("Software subscriptions", "Adobe", "ADOBE *CREATIVE CLOUD", Monthly(21), 54.99),
        Stream("Software subscriptions", "Canva", "CANVA* {code}", Monthly(25), 14.99),
        Stream("Fuel & transport", "Shell", "SHELL OIL {store}", Weekly((1,)), 68, 0.2, trend=True,
               stores=("57442", "57442", "57118")),
        Stream("Fuel & transport", "Chevron", "CHEVRON {store}", Random(0.12), 55, 0.3,
               stores=("0094452", "0201187")),
        Stream("Repairs & maintenance", "Hobart Service", "HOBART SERVICE {num}", Random(0.035), 420, 0.7),
        Stream("Repairs & maintenance", "Ace Hardware", "ACE HDWE #{store}", Random(0.08), 38, 0.6,
               stores=("11582", "09931")),
        Stream("Repairs & maintenance", "Roto-Rooter", "ROTO-ROOTER {num}", Random(0.006), 380, 0.3),
        Stream("Bank fees", "Square", "SQUARE FEES {mm}/{yy}", Monthly(1), 0, 0.03, share=0.021),
        Stream("Bank fees", "Chase", "MONTHLY SERVICE FEE", Monthly(-1), 25.00),
        Stream("Bank fees", "Chase", "WIRE TRANSFER FEE", Random(0.01), 25.00),
        Stream("Meals & entertainment", "{store}", "TST* {STORE}", Random(0.06), 62, 0.5,
               stores=("Blue Door Cafe", "Luigis Trattoria", "Noodle Bar 88")),
        Stream("Waste & cleaning", "Republic Services", "REPUBLIC SERVICES #{store}", Monthly(10), 310, 0.05,
               stores=("0871",)),
        Stream("Waste & cleaning", "Cintas", "CINTAS CORP {num}", Weekly((2,), every=2), 96, 0.1),
    ),
    business=BusinessSpec(
        growth=0.09,
        months=by_month(jan=0.86, feb=0.92, mar=0.96, apr=1.0, may=1.03, jun=0.95, jul=0.84, aug=0.83,
                       sep=0.98, oct=1.04, nov=1.1, dec=1.22),
        weekdays=(0.82, 0.88, 0.92, 0.95, 1.08, 1.45, 1.3),
        holidays={
            "valentines": 1.35, "easter_saturday": 1.35, "mothers_day": 1.4, "memorial_day": 0.85,
            "july_4": 0.7, "labor_day": 0.85, "thanksgiving_eve": 1.6, "thanksgiving": 0.45,
            "black_friday": 1.1, "christmas_eve": 1.5, "new_years_eve": 1.2,
        },
        runup=0.35,
        runup_from=8,
        after_christmas=0.9,
        noise=0.09,
        suppliers=(
            ("King Arthur Baking Co.", "orders@kingarthur.example", 5, 1.5, 10),
            ("Valley Dairy Co-op", "dispatch@valleydairy.example", 2, 0.5, 1),
            ("Pacific Packaging Supply", "sales@pacificpack.example", 10, 3, 50),
            ("Bean Brothers Coffee Roasters", "wholesale@beanbros.example", 7, 2, 12),
            # Fresh goods come from the café's own oven: baked the day after they are asked for.
            ("Sunrise bakehouse (own oven)", "kitchen@sunrise-bakery.example", 1, 0.3, 1),
        ),
        warehouses=(
            WarehouseSpec("DTN", "Downtown café", "123 Main St", 0.68, 920, (
                Channel("Counter sales", "Square", "SQUARE INC DEPOSIT SQ{yymmdd} DTN", 0.82),
                Channel("Counter sales", "Cash sales", "CASH DEPOSIT DOWNTOWN Z#{n}", 0.18),
            )),
            WarehouseSpec("RVR", "Riverside kiosk", "Riverside Market Hall, stall 14", 0.32, 430, (
                Channel("Counter sales", "Square", "SQUARE INC DEPOSIT SQ{yymmdd} RVR", 0.78),
                Channel("Counter sales", "Cash sales", "CASH DEPOSIT RIVERSIDE Z#{n}", 0.22),
            )),
        ),
        products=(
            ProductSpec("BK-SOUR", "Sourdough loaf", "Bread", 2.10, 8.50, 4, 14, shelf_life_days=2),
            ProductSpec("BK-CROI", "Butter croissant", "Pastry", 1.10, 4.25, 4, 30, weekend=1.3, shelf_life_days=1),
            ProductSpec("BK-BAGU", "Baguette", "Bread", 0.90, 4.00, 4, 18, shelf_life_days=1),
            ProductSpec("BK-CINN", "Cinnamon roll", "Pastry", 1.20, 4.75, 4, 16, 20, 0.8, 0.4, shelf_life_days=2),
            ProductSpec("BK-PUMP", "Pumpkin pie", "Seasonal", 7.50, 24.00, 4, 1.5, 320, 6, 0.05,
                        holidays={"thanksgiving_eve": 6.0, "thanksgiving": 2.0}, shelf_life_days=4),
            ProductSpec("BK-GING", "Gingerbread cookie box", "Seasonal", 4.00, 14.00, 0, 1.5, 350, 8, 0.03,
                        shelf_life_days=60),
            ProductSpec("BK-STOL", "Christmas stollen", "Seasonal", 6.50, 22.00, 0, 0.8, 354, 25, 0.0,
                        holidays={"christmas_eve": 2.5}, shelf_life_days=30),
            ProductSpec("BK-LEMN", "Lemon tart", "Pastry", 1.60, 5.50, 4, 6, 190, 1.5, 0.3, shelf_life_days=3),
            ProductSpec("BK-BERR", "Mixed berry galette", "Seasonal", 8.00, 28.00, 4, 1.2, 200, 3, 0.1,
                        shelf_life_days=3),
            ProductSpec("BK-COFB", "Coffee beans 12 oz", "Retail", 7.00, 16.00, 3, 3, 355, 0.6, 0.5,
                        holidays={"black_friday": 2.0}),
            ProductSpec("BK-COCO", "Hot cocoa mix tin", "Retail", 4.00, 12.00, 2, 1.5, 5, 3, 0.05),
            ProductSpec("BK-ICED", "Cold brew bottle", "Drinks", 1.30, 5.00, 3, 8, 200, 2, 0.15,
                        holidays={"july_4": 2.0}),
        ),
    ),
)

HARDWARE = WorkspaceSpec(
    slug="demo-northside-hardware",
    name="Northside Hardware",
    kind=Workspace.Kind.BUSINESS,
    growth=0.12,
    revenue_categories=("Store sales", "Online sales", "Contractor accounts"),
    expense_categories=(
        "Rent", "Payroll", "Taxes", "Inventory purchases", "Shipping & postage", "Supplies",
        "Utilities", "Marketing", "Insurance", "Software subscriptions", "Fuel & transport",
        "Repairs & maintenance", "Bank fees", "Meals & entertainment",
    ),
    budget_categories=7,
    goals=(
        ("Garden centre expansion", 45000, 10, 0.48, "demo"),
        ("Delivery van", 38000, 16, 0.3, "demo"),
        ("Pay off the equipment loan", 12000, 4, 0.85, "demo"),
    ),
    streams=(
        Stream("Contractor accounts", "{store}", "ACH CREDIT {STORE} INV {n}",
               Random(0.45, WORKDAYS, by_month(jan=0.6, feb=0.7, apr=1.3, may=1.4, jun=1.4, jul=1.2, dec=0.6)),
               1150, 0.55, kind=Transaction.Kind.REVENUE, trend=True,
               stores=("Brennan Construction", "Oak & Stone Builders", "Valley Property Services", "Summit Roofing")),
        Stream("Rent", "Brixmor Property Group", "BRIXMOR PROPERTY RENT NORTHGATE PLAZA", Monthly(1), 12000,
               escalate=0.03),
        Stream("Rent", "Northgate Industrial", "NORTHGATE INDUSTRIAL LEASE UNIT 7", Monthly(1), 3000, escalate=0.03),
        Stream("Payroll", "Paychex", "PAYCHEX PAYROLL {mm}/{dd}", Semimonthly(), 12500, 0.03, trend=True),
        Stream("Taxes", "Paychex", "PAYCHEX TAX {mm}/{dd}", Semimonthly(), 2250, 0.04, trend=True),
        Stream("Taxes", "CDTFA", "CDTFA EFT SALES TAX {num}", Monthly(20), 0, 0.02, share=0.06),
        Stream("Taxes", "IRS", "IRS USATAXPYMT {num}", Monthly(15, (1, 4, 6, 9)), 7000, 0.1, trend=True),
        Stream("Inventory purchases", "Orgill", "ORGILL INC ACH {num}", Weekly((1,)), 0, 0.1, share=0.3),
        Stream("Inventory purchases", "Midwest Tool Distributors", "MIDWEST TOOL DIST INV {n}", Weekly((3,), every=2),
               0, 0.12, share=0.08),
        Stream("Inventory purchases", "GreenGrow Garden Wholesale", "GREENGROW GARDEN WHSL {num}",
               Weekly((2,), every=2), 0, 0.15, share=0.07,
               months=by_month(jan=0.5, feb=1.1, mar=1.7, apr=1.6, may=1.2, aug=0.8, sep=0.7, oct=0.6, nov=0.4,
                              dec=0.4)),
        Stream("Inventory purchases", "Bright Home Electrical", "BRIGHT HOME ELECTRICAL {num}", Monthly(12),
               0, 0.15, share=0.04, months=by_month(oct=1.8, nov=1.5)),
        Stream("Shipping & postage", "UPS", "UPS*1Z{code}", Random(0.9, WORKDAYS), 42, 0.6, trend=True),
        Stream("Shipping & postage", "USPS", "USPS PO {num}", Random(0.3, WORKDAYS), 18, 0.5, trend=True),
        Stream("Shipping & postage", "FedEx", "FEDEX {num}", Random(0.15, WORKDAYS), 64, 0.5),
        Stream("Supplies", "Amazon", "AMZN Mktp US*{code}", Random(0.18), 64, 0.6),
        Stream("Supplies", "Uline", "ULINE *{num}", Random(0.05), 310, 0.4),
        Stream("Utilities", "PG&E", "PG&E WEB ONLINE", Monthly(18), 1100, 0.08,
               months=by_month(jan=1.25, feb=1.2, mar=1.05, apr=0.92, may=0.9, jun=1.0, jul=1.12, aug=1.12,
                              sep=1.0, oct=0.92, nov=1.05, dec=1.22)),
        Stream("Utilities", "Comcast", "COMCAST BUSINESS 8155", Monthly(9), 229.90),
        Stream("Utilities", "City of Springfield", "CITY OF SPRINGFIELD UTIL WATER", Monthly(22), 120, 0.12),
        Stream("Marketing", "Google Ads", "GOOGLE *ADS{num}", Monthly(5), 850, 0.2,
               months=by_month(mar=1.3, apr=1.4, may=1.3, nov=1.5)),
        Stream("Marketing", "Meta", "FACEBK *{code}", Monthly(3), 400, 0.3),
        Stream("Marketing", "Valpak", "VALPAK DIRECT MAIL", Monthly(15, (3, 5, 9, 11)), 1250, 0.05),
        Stream("Insurance", "The Hartford", "THE HARTFORD INS PREM", Monthly(6), 612.00),
        Stream("Insurance", "State Fund", "STATE FUND WORK COMP", Monthly(20), 910, 0.02, trend=True),
        Stream("Software subscriptions", "Shopify", "SHOPIFY* {num}", Monthly(4), 299.00),
        Stream("Software subscriptions", "Intuit", "INTUIT *QBOOKS ONLINE", Monthly(14), 90.00),
        Stream("Software subscriptions", "Epicor", "EPICOR EAGLE POS", Monthly(1), 485.00),
        Stream("Software subscriptions", "Microsoft", "MICROSOFT*365 BUSINESS", Monthly(9), 66.00),
        Stream("Fuel & transport", "Shell", "SHELL OIL {store}", Weekly((0, 3)), 84, 0.2, trend=True,
               stores=("57442", "57118", "57118")),
        Stream("Fuel & transport", "Chevron", "CHEVRON {store}", Random(0.1), 70, 0.3, stores=("0094452",)),
        Stream("Fuel & transport", "U-Haul", "U-HAUL #{num}", Random(0.01), 180, 0.3),
        Stream("Repairs & maintenance", "ABC Forklift Service", "ABC FORKLIFT SERVICE {n}", Random(0.03), 380, 0.6),
        Stream("Repairs & maintenance", "ADT", "ADT SECURITY {num}", Monthly(12), 64.99),
        Stream("Repairs & maintenance", "Janitorial Plus", "JANITORIAL PLUS INC", Monthly(-1), 450, 0.03),
        Stream("Bank fees", "Clover", "CLOVER FEES {mm}/{yy}", Monthly(2), 0, 0.03, share=0.022),
        Stream("Bank fees", "Wells Fargo", "MONTHLY SERVICE FEE", Monthly(-1), 30.00),
        Stream("Meals & entertainment", "{store}", "TST* {STORE}", Random(0.05), 58, 0.5,
               stores=("Harbor Grill", "Taqueria El Sol", "Noodle Bar 88")),
    ),
    business=BusinessSpec(
        growth=0.12,
        months=by_month(jan=0.74, feb=0.8, mar=0.98, apr=1.15, may=1.28, jun=1.22, jul=1.1, aug=1.02, sep=0.98,
                       oct=0.95, nov=0.95, dec=1.0),
        weekdays=(1.0, 0.95, 0.95, 1.0, 1.08, 1.38, 0.72),
        holidays={
            "easter_saturday": 1.1, "mothers_day": 1.15, "memorial_day": 1.6, "july_4": 0.8,
            "labor_day": 1.45, "thanksgiving_eve": 1.1, "thanksgiving": 0.35, "black_friday": 2.3,
            "cyber_monday": 1.25, "christmas_eve": 0.6, "new_years_eve": 0.7,
        },
        runup=0.25,
        runup_from=1,
        after_christmas=0.8,
        noise=0.1,
        black_friday_discount=0.2,
        suppliers=(
            ("Midwest Tool Distributors", "orders@midwesttool.example", 14, 4, 6),
            ("GreenGrow Garden Wholesale", "orders@greengrow.example", 10, 3, 20),
            ("Bright Home Electrical", "sales@brighthome.example", 21, 6, 12),
            ("Orgill Inc.", "cs@orgill.example", 7, 2, 1),
        ),
        warehouses=(
            WarehouseSpec("MAIN", "Store floor and back room", "Northgate Plaza", 0.78, 3000, (
                Channel("Store sales", "Clover", "CLOVER DEPOSIT {yymmdd} MID 4471", 0.88),
                Channel("Store sales", "Cash sales", "CASH DEPOSIT STORE Z#{n}", 0.12),
            )),
            WarehouseSpec("WEB", "Online fulfilment", "Northgate Industrial, unit 7", 0.22, 450, (
                Channel("Online sales", "Shopify", "SHOPIFY PAYOUT {num}", 1.0),
            )),
        ),
        products=(
            ProductSpec("HW-SHOV", "Snow shovel 24 in", "Seasonal", 14.00, 29.99, 0, 2, 15, 4, 0.02,
                        holidays={"black_friday": 1.5}),
            ProductSpec("HW-MELT", "Ice melt 20 lb", "Seasonal", 8.00, 17.49, 3, 4, 20, 3.5, 0.03),
            ProductSpec("HW-HEAT", "Ceramic space heater", "Seasonal", 31.00, 59.99, 2, 1, 5, 2.5, 0.08,
                        holidays={"black_friday": 2.0}),
            ProductSpec("HW-HOSE", "Garden hose 50 ft", "Garden", 16.00, 34.99, 1, 2.5, 140, 2.5, 0.1,
                        holidays={"memorial_day": 1.8}),
            ProductSpec("HW-FAN", 'Box fan 20"', "Seasonal", 19.00, 39.99, 2, 1.5, 200, 4, 0.03),
            ProductSpec("HW-CHAR", "Charcoal 16 lb", "Garden", 9.00, 19.99, 3, 3, 185, 2.5, 0.1,
                        holidays={"july_4": 3.0, "memorial_day": 2.0, "labor_day": 2.0}),
            ProductSpec("HW-MULC", "Mulch 2 cu ft", "Garden", 2.10, 4.99, 1, 12, 110, 3, 0.05, weekend=1.4),
            ProductSpec("HW-PNT", "Interior paint 1 gal", "Paint", 19.00, 42.99, 3, 3, 120, 0.6, 0.5),
            ProductSpec("HW-DRIL", "Cordless drill 20V", "Tools", 52.00, 99.00, 0, 1, 350, 1.0, 0.5,
                        holidays={"black_friday": 4.0, "cyber_monday": 3.0}),
            ProductSpec("HW-LITE", "LED holiday lights 100 ct", "Seasonal", 9.00, 24.99, 2, 1, 340, 12, 0.0,
                        holidays={"black_friday": 2.0}),
            ProductSpec("HW-SCRW", "Wood screws 1 lb box", "Fasteners", 3.20, 9.49, 3, 6, weekend=1.2),
            ProductSpec("HW-BULB", "LED bulb 4-pack", "Electrical", 4.50, 11.99, 2, 5, 15, 0.4, 0.6),
        ),
    ),
)

HOUSEHOLD = WorkspaceSpec(
    slug="demo-rivera-household",
    name="The Rivera household",
    kind=Workspace.Kind.HOUSEHOLD,
    growth=0.04,
    revenue_categories=("Salary", "Interest", "Other income"),
    expense_categories=(
        "Mortgage", "Groceries", "Utilities", "Dining", "Transport", "Subscriptions", "Shopping",
        "Health", "Insurance", "Childcare", "Travel", "Gifts & donations", "Entertainment",
    ),
    budget_categories=8,
    goals=(
        ("Emergency fund", 25000, 9, 0.72, "sam.saver"),
        ("Summer trip to Portugal", 6500, 6, 0.4, "sam.saver"),
        ("College fund", 60000, 144, 0.18, "demo"),
        ("New car down payment", 8000, 14, 0.25, "sky.spender"),
    ),
    streams=(
        Stream("Salary", "Acme Corp", "ACME CORP PAYROLL DIR DEP", Semimonthly(), 3850, 0.004,
               kind=Transaction.Kind.REVENUE, escalate=0.035),
        Stream("Salary", "Springfield USD", "SPRINGFIELD USD PAYROLL", Weekly((4,), every=2), 1920,
               kind=Transaction.Kind.REVENUE, escalate=0.03),
        Stream("Interest", "Ally Bank", "INTEREST PAYMENT", Monthly(-1), 6.5, 0.3, kind=Transaction.Kind.REVENUE,
               escalate=0.4),
        Stream("Other income", "IRS", "IRS TREAS 310 TAX REF", Monthly(12, (4,)), 1420, 0.3,
               kind=Transaction.Kind.REVENUE),
        Stream("Other income", "Etsy", "ETSY INC PAYOUT {num}", Random(0.04, None, by_month(nov=3, dec=3)), 85, 0.5,
               kind=Transaction.Kind.REVENUE),
        Stream("Mortgage", "Rocket Mortgage", "ROCKET MORTGAGE PMT", Monthly(1), 3150, escalate=0.015),
        Stream("Groceries", "Trader Joe's", "TRADER JOE S #{store}", Random(0.22, WEEKENDS, by_month(nov=1.15, dec=1.2)),
               78, 0.35, trend=True, stores=("127", "127", "052")),
        Stream("Groceries", "Safeway", "SAFEWAY #{store}", Random(0.14, None, by_month(nov=1.2, dec=1.2)), 64, 0.45,
               trend=True, stores=("1791", "2603")),
        Stream("Groceries", "Costco", "COSTCO WHSE #{store}", Weekly((5,), every=2), 212, 0.3, trend=True,
               months=by_month(nov=1.3, dec=1.35), stores=("0113", "0113", "0482")),
        Stream("Groceries", "Whole Foods", "WHOLEFDS MKT {store}", Random(0.06), 48, 0.5, trend=True,
               stores=("10234",)),
        Stream("Utilities", "PG&E", "PG&E WEB ONLINE", Monthly(24), 165, 0.1,
               months=by_month(jan=1.45, feb=1.35, mar=1.1, apr=0.9, may=0.8, jun=0.85, jul=0.95, aug=0.95,
                              sep=0.85, oct=0.9, nov=1.2, dec=1.45)),
        Stream("Utilities", "City of Springfield", "CITY OF SPRINGFIELD UTIL WATER", Monthly(22, (1, 3, 5, 7, 9, 11)),
               98, 0.15, months=by_month(jul=1.3, sep=1.2)),
        Stream("Utilities", "Comcast", "COMCAST CABLE COMM", Monthly(12), 89.99),
        Stream("Utilities", "T-Mobile", "T-MOBILE AUTOPAY", Monthly(19), 140.00),
        Stream("Dining", "Starbucks", "STARBUCKS STORE {store}", Random(0.45, (1.3, 1.3, 1.3, 1.3, 1.2, 0.4, 0.3)),
               7.8, 0.35, trend=True, stores=("05621", "05621", "11734")),
        Stream("Dining", "Chipotle", "CHIPOTLE {store}", Random(0.08), 24, 0.3, trend=True, stores=("1289",)),
        Stream("Dining", "DoorDash", "DOORDASH*{STORE}", Random(0.12, EVENINGS_OUT), 41, 0.35, trend=True,
               stores=("Thai Orchid", "Pizza My Heart", "Sushi Ko")),
        Stream("Dining", "{store}", "TST* {STORE}", Random(0.07, WEEKENDS), 86, 0.4, trend=True,
               stores=("Luigis Trattoria", "Harbor Grill", "Blue Door Cafe")),
        Stream("Transport", "Shell", "SHELL OIL {store}", Random(0.16), 52, 0.2, trend=True,
               stores=("57442", "57442", "12904")),
        Stream("Transport", "Chevron", "CHEVRON {store}", Random(0.09), 49, 0.2, trend=True, stores=("0094452",)),
        Stream("Transport", "Clipper", "CLIPPER SERVICE", Monthly(2), 86.00),
        Stream("Transport", "Uber", "UBER *TRIP {code}", Random(0.05, EVENINGS_OUT), 24, 0.5),
        Stream("Transport", "FasTrak", "FASTRAK CSC", Monthly(11), 35.00),
        Stream("Subscriptions", "Netflix", "NETFLIX.COM", Monthly(8), 15.49),
        Stream("Subscriptions", "Spotify", "SPOTIFY USA", Monthly(13), 16.99),
        Stream("Subscriptions", "Apple", "APPLE.COM/BILL", Monthly(17), 2.99),
        Stream("Subscriptions", "Amazon", "AMAZON PRIME*{code}", Monthly(9, (3,)), 139.00),
        Stream("Subscriptions", "New York Times", "NYTIMES DIGITAL", Monthly(26), 17.00),
        Stream("Subscriptions", "Peloton", "PELOTON* MEMBERSHIP", Monthly(5), 44.00),
        Stream("Shopping", "Amazon", "AMZN Mktp US*{code}", Random(0.3, None, by_month(nov=1.5, dec=2.2)), 36, 0.7),
        Stream("Shopping", "Target", "TARGET 000{store}", Random(0.1, WEEKENDS, by_month(aug=1.6, dec=1.5)), 58, 0.5,
               stores=("2301", "1187")),
        Stream("Health", "CVS", "CVS/PHARMACY #{store}", Random(0.07), 24, 0.5, stores=("04412", "09127")),
        Stream("Health", "Kaiser Permanente", "KAISER PERMANENTE COPAY", Random(0.03, WORKDAYS), 35, 0.2),
        Stream("Health", "24 Hour Fitness", "24 HOUR FITNESS USA", Monthly(3), 49.99),
        Stream("Insurance", "GEICO", "GEICO *AUTO", Monthly(15), 148.20, escalate=0.06),
        Stream("Insurance", "State Farm", "STATE FARM INSURANCE", Monthly(27), 112.00, escalate=0.05),
        Stream("Childcare", "Bright Horizons", "BRIGHT HORIZONS {num}", Monthly(1), 1650, escalate=0.04),
        Stream("Childcare", "YMCA", "YMCA SUMMER CAMP", Monthly(5, (6, 7)), 780, escalate=0.05),
        Stream("Travel", "United Airlines", "UNITED {num}", Monthly(10, (3,)), 1380, 0.15),
        Stream("Travel", "Marriott", "MARRIOTT {STORE}", Monthly(16, (7,)), 1240, 0.2, stores=("Lisbon", "San Diego")),
        Stream("Travel", "Hertz", "HERTZ RENT-A-CAR", Monthly(18, (7,)), 410, 0.2),
        Stream("Travel", "Airbnb", "AIRBNB * HM{code}", Monthly(22, (12,)), 620, 0.25),
        Stream("Gifts & donations", "Etsy", "ETSY.COM - {STORE}", Random(0.03, None, by_month(dec=5, feb=2)), 45, 0.5,
               stores=("Paper Moon Studio", "Oak and Ember")),
        Stream("Gifts & donations", "UNICEF USA", "UNICEF USA DONATION", Monthly(15, (12,)), 150),
        Stream("Gifts & donations", "GoFundMe", "GOFUNDME {code}", Random(0.01), 50, 0.5),
        Stream("Entertainment", "AMC Theatres", "AMC {store}", Random(0.04, WEEKENDS), 34, 0.3, stores=("4512",)),
        Stream("Entertainment", "Ticketmaster", "TICKETMASTER {code}", Random(0.012), 160, 0.4),
        Stream("Entertainment", "Steam", "STEAMGAMES.COM {num}", Random(0.02), 22, 0.5),
    ),
)

WORKSPACES = (BAKERY, HARDWARE, HOUSEHOLD)
SLUGS = tuple(spec.slug for spec in WORKSPACES)

USERS = (
    DemoUser("admin", "admin", "occasional", is_staff=True, is_superuser=True,
             roles={s: Membership.Role.OWNER for s in SLUGS},
             activity={BAKERY.slug: 1, HARDWARE.slug: 1, HOUSEHOLD.slug: 1}),
    DemoUser("demo", "demo", "planner",
             roles={BAKERY.slug: Membership.Role.OWNER, HARDWARE.slug: Membership.Role.OWNER,
                    HOUSEHOLD.slug: Membership.Role.MEMBER},
             activity={BAKERY.slug: 0.45, HARDWARE.slug: 0.35, HOUSEHOLD.slug: 0.2}),
    DemoUser("viewer", "viewer", "browser", roles={BAKERY.slug: Membership.Role.VIEWER},
             activity={BAKERY.slug: 1}),
    DemoUser("sam.saver", None, "saver", roles={HOUSEHOLD.slug: Membership.Role.MEMBER},
             activity={HOUSEHOLD.slug: 1}),
    DemoUser("sky.spender", None, "spender", roles={HOUSEHOLD.slug: Membership.Role.MEMBER},
             activity={HOUSEHOLD.slug: 1}),
)

PALETTE = (
    "#2563eb", "#16a34a", "#dc2626", "#d97706", "#7c3aed", "#0891b2", "#db2777", "#65a30d",
    "#ea580c", "#4f46e5", "#0d9488", "#b91c1c", "#a16207", "#9333ea", "#0284c7", "#475569",
)
