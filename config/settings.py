"""Ledgerwise settings: every value comes from the environment, with embedded defaults.

The defaults run everything on one machine with no services (SQLite, a filesystem
Celery broker, Django's local-memory cache). Production and CI point the same code
at PostgreSQL, Redis/RabbitMQ and a Redis cache through ``DATABASE_URL``,
``CELERY_BROKER_URL`` and ``CACHE_URL``. With ``DEBUG=false`` the security settings
switch on so that ``manage.py check --deploy`` is clean.
"""

import datetime as dt
import ipaddress
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)
VAR_DIR = Path(env.str("LEDGERWISE_VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env.bool("DEBUG", default=True)
_DEV_SECRET_KEY = "django-insecure-ledgerwise-development-key-do-not-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY if DEBUG else "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "axes",
    "finance",
    "forecasting",
    "coaching",
]

MIDDLEWARE = [
    # First, so that every answer (redirects and errors too) has an id and is measured.
    "config.middleware.RequestIdMiddleware",
    "config.middleware.RequestMetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After authentication: records signed-in users' page views, searches and filters.
    "coaching.behaviour.middleware.BehaviourMiddleware",
    # A request that needed the task queue while it was down: 503 with Retry-After, not 500.
    "config.broker.BrokerUnavailableMiddleware",
    # Last: turns a login refused by the lockout into the lockout answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
VAR_DIR.mkdir(parents=True, exist_ok=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL and immediate transactions let web, worker and beat share one SQLite file.
    # Tests use a file, not memory, so that a real Celery worker can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend, health-checking a persistent connection only after it sat idle
        # (config/postgresql/base.py): no `SELECT 1` round trip before every request.
        DATABASES["default"]["ENGINE"] = "config.postgresql"
        DATABASES["default"]["HEALTH_CHECK_AFTER_IDLE"] = env.float("DB_HEALTH_CHECK_AFTER_IDLE", default=5.0)
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------
CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://ledgerwise")}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "finance:login"
LOGIN_REDIRECT_URL = "finance:overview"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static files and storage (artifacts go through the storage API) -------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
MEDIA_URL = "media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Security (on whenever DEBUG is off; passes check --deploy) -------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # Probes and scrapers speak plain HTTP to the container: a redirect would read as "up".
    SECURE_REDIRECT_EXEMPT = [r"^health/", r"^metrics$"]
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REFERRER_POLICY = "same-origin"

# --- Client addresses and login lockout ----------------------------------------------------
# X-Forwarded-For is believed only as far as our own proxies wrote it (config.throttling.client_ip):
# hops from TRUSTED_PROXIES (addresses or CIDR networks), else the last NUM_PROXIES hops;
# by default neither, and the socket's address is the client's. Throttles and lockout use it.
NUM_PROXIES = env.int("NUM_PROXIES", default=0)
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])
for _proxy in TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(f"TRUSTED_PROXIES: {_proxy!r} is not an address or network.") from None

# django-axes locks a login out after LOGIN_FAILURE_LIMIT failures on every path that calls
# authenticate(): the login page, the admin's and POST /api/v1/auth/token/.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out client before the password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
if AXES_FAILURE_LIMIT < 1 or LOGIN_COOLOFF_MINUTES < 1:
    raise ImproperlyConfigured("LOGIN_FAILURE_LIMIT and LOGIN_COOLOFF_MINUTES must be at least 1.")
AXES_COOLOFF_TIME = dt.timedelta(minutes=LOGIN_COOLOFF_MINUTES)
# Who is locked: "username+ip_address" (one username from one address: an attacker cannot
# lock a user out from elsewhere), or a comma-separated choice of username, ip_address,
# user_agent and "+" combinations, any of which locks.
AXES_LOCKOUT_PARAMETERS = [
    part.split("+") if "+" in part else part
    for part in env.list("LOGIN_LOCKOUT_BY", default=["username+ip_address"])
]
AXES_CLIENT_IP_CALLABLE = "config.throttling.client_ip"
AXES_LOCKOUT_CALLABLE = "config.auth.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no start-up banner in the logs; failures are logged at WARNING
AXES_COOLOFF_MESSAGE = (
    f"Too many failed login attempts. Try again in {LOGIN_COOLOFF_MINUTES} "
    f"minute{'s' if LOGIN_COOLOFF_MINUTES != 1 else ''}."
)

# Workspace invitations (finance.services.invitations) expire unanswered after this many days.
INVITATION_EXPIRY_DAYS = env.int("INVITATION_EXPIRY_DAYS", default=7)

# --- REST API -------------------------------------------------------------------------


def _throttle_rate(name: str, default: str) -> str | None:
    """A DRF rate such as ``60/min``; ``off`` disables that throttle (e.g. behind a gateway
    that throttles already)."""
    value = env.str(name, default=default).strip()
    return None if value.lower() == "off" else value


REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "finance.api.pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        # django-filter's, with the browsable API's filter dialog scoped to the user's workspaces
        "finance.api.filters.WorkspaceScopedFilterBackend",
        "rest_framework.filters.OrderingFilter",
        "rest_framework.filters.SearchFilter",
    ],
    # DRF's throttles keyed on config.throttling.client_ip (X-Forwarded-For only from trusted proxies).
    "DEFAULT_THROTTLE_CLASSES": [
        "config.throttling.AnonRateThrottle",
        "config.throttling.UserRateThrottle",
        "config.throttling.ScopedRateThrottle",
    ],
    "NUM_PROXIES": NUM_PROXIES,
    "DEFAULT_THROTTLE_RATES": {
        "anon": _throttle_rate("API_THROTTLE_ANON", "60/min"),
        "user": _throttle_rate("API_THROTTLE_USER", "2000/min"),
        "imports": _throttle_rate("API_THROTTLE_IMPORTS", "30/hour"),
        "auth": _throttle_rate("API_THROTTLE_AUTH", "20/min"),
        "segment_refresh": _throttle_rate("API_THROTTLE_SEGMENT_REFRESH", "10/hour"),
    },
    # DRF's parsers with the input limits (config/parsers.py): JSON size and depth, no control characters.
    "DEFAULT_PARSER_CLASSES": [
        "config.parsers.JSONParser",
        "config.parsers.FormParser",
        "config.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "config.openapi.LedgerwiseAutoSchema",  # + every operation's error answers
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Ledgerwise API",
    "DESCRIPTION": "Books, forecasts, model lifecycle and coaching for small businesses and households.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "ENUM_NAME_OVERRIDES": {
        "WorkspaceKindEnum": "finance.models.Workspace.Kind",
        "MoneyKindEnum": "finance.models.Transaction.Kind",
        "TransactionStatusEnum": "finance.models.Transaction.Status",
        "ModelKindEnum": "forecasting.models.ModelKind",
        "ModelVersionStatusEnum": "forecasting.models.ModelVersion.Status",
        "TrainingJobStatusEnum": "forecasting.models.TrainingJob.Status",
        "FeedbackKindEnum": "forecasting.models.Feedback.Kind",
        "AlertKindEnum": "forecasting.models.Alert.Kind",
        "AlertSeverityEnum": "forecasting.models.Alert.Severity",
        # low / medium / high: a stockout's severity and a cash-flow risk level
        "RiskLevelEnum": ["low", "medium", "high"],
        "InsightSeverityEnum": ["warning", "info"],
        "SnapshotStatusEnum": "forecasting.models.PerformanceSnapshot.Status",
        "StockPlanStatusEnum": "forecasting.models.StockPlan.Status",
        "RolloutStatusEnum": "forecasting.registry.models.Rollout.Status",
        "RecommendationStatusEnum": "coaching.models.RecommendationImpression.Status",
        "FrequencyEnum": "forecasting.series.frequency.Frequency",
        "SpendingFrequencyEnum": "coaching.services.spending.FREQUENCY_CHOICES",
        "SpendingForecastMethodEnum": "coaching.services.spending.METHOD_CHOICES",
    },
}

# --- CSV import -----------------------------------------------------------------------
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=25 * 1024 * 1024)
IMPORT_MAX_ROWS = env.int("IMPORT_MAX_ROWS", default=200_000)

# --- Input limits (config/limits.py: every writer — API, pages, admin, CSV — applies them) ----


def _env_date(name: str, default: str) -> dt.date:
    value = env.str(name, default=default)
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}: {value!r} is not a date (YYYY-MM-DD).") from None


def _env_decimal(name: str, default: str) -> Decimal:
    value = env.str(name, default=default)
    try:
        number = Decimal(value)
    except InvalidOperation:
        number = Decimal("NaN")
    if not number.is_finite():
        raise ImproperlyConfigured(f"{name}: {value!r} is not a number.")
    return number


# Dates of the books (transactions, sales, budgets, goals). Forecasting turns dates into
# pandas timestamps, which hold the years 1678-2261 only.
INPUT_DATE_MIN = _env_date("INPUT_DATE_MIN", "1900-01-01")
INPUT_DATE_MAX = _env_date("INPUT_DATE_MAX", "2100-12-31")
if not dt.date(1678, 1, 1) <= INPUT_DATE_MIN < INPUT_DATE_MAX <= dt.date(2261, 12, 31):
    raise ImproperlyConfigured("INPUT_DATE_MIN must be before INPUT_DATE_MAX, both within 1678-01-01..2261-12-31.")
# Largest amount of money accepted (what NUMERIC(14, 2) holds at most); larger is a 400.
INPUT_AMOUNT_MAX = _env_decimal("INPUT_AMOUNT_MAX", "999999999999.99")
# A transaction above max(INPUT_AMOUNT_REVIEW_ABOVE, INPUT_AMOUNT_REVIEW_FACTOR × the 99th
# percentile of the workspace's other amounts of its kind) — or above INPUT_AMOUNT_REVIEW_ABOVE
# while it has fewer than INPUT_AMOUNT_REVIEW_MIN_HISTORY of them — is kept but needs a
# member's confirmation, and stays out of training until then.
INPUT_AMOUNT_REVIEW_ABOVE = _env_decimal("INPUT_AMOUNT_REVIEW_ABOVE", "100000")
INPUT_AMOUNT_REVIEW_FACTOR = env.float("INPUT_AMOUNT_REVIEW_FACTOR", default=10.0)
INPUT_AMOUNT_REVIEW_MIN_HISTORY = env.int("INPUT_AMOUNT_REVIEW_MIN_HISTORY", default=20)
if not 0 < INPUT_AMOUNT_REVIEW_ABOVE <= INPUT_AMOUNT_MAX <= Decimal("999999999999.99"):
    raise ImproperlyConfigured("Need 0 < INPUT_AMOUNT_REVIEW_ABOVE <= INPUT_AMOUNT_MAX <= 999999999999.99.")
if INPUT_AMOUNT_REVIEW_FACTOR < 1 or INPUT_AMOUNT_REVIEW_MIN_HISTORY < 1:
    raise ImproperlyConfigured("INPUT_AMOUNT_REVIEW_FACTOR and INPUT_AMOUNT_REVIEW_MIN_HISTORY must be at least 1.")
# JSON request bodies of the API: larger or deeper ones are a 400 (config/parsers.py). Bodies
# over DATA_UPLOAD_MAX_MEMORY_SIZE (Django's, 2.5 MB) are refused by Django before that.
INPUT_JSON_MAX_BYTES = env.int("INPUT_JSON_MAX_BYTES", default=1024 * 1024)
INPUT_JSON_MAX_DEPTH = env.int("INPUT_JSON_MAX_DEPTH", default=32)
if INPUT_JSON_MAX_BYTES < 1 or INPUT_JSON_MAX_DEPTH < 1:
    raise ImproperlyConfigured("INPUT_JSON_MAX_BYTES and INPUT_JSON_MAX_DEPTH must be at least 1.")

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_FOLDER = VAR_DIR / "broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_FOLDER / "queue"),
        "data_folder_out": str(CELERY_BROKER_FOLDER / "queue"),
        "control_folder": str(CELERY_BROKER_FOLDER / "control"),
        "store_processed": False,
    }
    # The embedded broker is a pair of folders: make sure they exist for web, worker and beat.
    for _folder in ("queue", "control"):
        (CELERY_BROKER_FOLDER / _folder).mkdir(parents=True, exist_ok=True)
# Seconds a client is told to wait (Retry-After of the 503) when the broker cannot be reached.
BROKER_RETRY_AFTER_SECONDS = env.int("BROKER_RETRY_AFTER_SECONDS", default=30)
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_DEFAULT_QUEUE = env.str("CELERY_TASK_DEFAULT_QUEUE", default="celery")
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# --- Machine learning (defaults from the seeds) ------------------------------------------
ML_AUTO_LEARN_MIN_DATA = env.int("ML_AUTO_LEARN_MIN_DATA", default=5)
ML_AUTO_LEARN_COOLDOWN = env.float("ML_AUTO_LEARN_COOLDOWN", default=24.0)  # hours
MIN_TRANSACTIONS_FOR_TRAINING = env.int("MIN_TRANSACTIONS_FOR_TRAINING", default=50)
MIN_NEW_TRANSACTIONS_FOR_RETRAIN = env.int("MIN_NEW_TRANSACTIONS_FOR_RETRAIN", default=20)
RETRAIN_INTERVAL_DAYS = env.int("RETRAIN_INTERVAL_DAYS", default=7)
ML_RETRAINING_FEEDBACK_THRESHOLD = env.int("ML_RETRAINING_FEEDBACK_THRESHOLD", default=50)
ML_PERFORMANCE_THRESHOLD = env.float("ML_PERFORMANCE_THRESHOLD", default=0.7)
ML_SCHEDULER_ENABLED = env.bool("ML_SCHEDULER_ENABLED", default=True)
ML_SCHEDULER_DAY = env.str("ML_SCHEDULER_DAY", default="mon")
ML_SCHEDULER_HOUR = env.int("ML_SCHEDULER_HOUR", default=2)
ML_SCHEDULER_MINUTE = env.int("ML_SCHEDULER_MINUTE", default=0)
ML_TRAINING_TIMEOUT_MINUTES = env.int("ML_TRAINING_TIMEOUT_MINUTES", default=30)
# Job liveness (forecasting/training/reaper.py, run by beat every minute): a running job
# stamps its heartbeat every ML_TRAINING_HEARTBEAT_SECONDS; one silent for
# ML_TRAINING_STALE_SECONDS lost its worker and is failed, its lock freed; a queued job
# not started ML_TRAINING_QUEUED_RESEND_SECONDS after it was sent (or created, if the
# broker refused it) while its message is evidently lost is sent again; one still queued
# after ML_TRAINING_QUEUED_EXPIRE_HOURS is failed. Model files no version refers to are
# deleted once older than ML_ARTIFACT_ORPHAN_GRACE_HOURS (a training in flight is younger).
ML_TRAINING_HEARTBEAT_SECONDS = env.int("ML_TRAINING_HEARTBEAT_SECONDS", default=30)
ML_TRAINING_STALE_SECONDS = env.int("ML_TRAINING_STALE_SECONDS", default=120)
ML_TRAINING_QUEUED_RESEND_SECONDS = env.int("ML_TRAINING_QUEUED_RESEND_SECONDS", default=180)
ML_TRAINING_QUEUED_EXPIRE_HOURS = env.float("ML_TRAINING_QUEUED_EXPIRE_HOURS", default=24.0)
ML_TRAINING_WORKER_LOST_RETRY_SECONDS = env.int("ML_TRAINING_WORKER_LOST_RETRY_SECONDS", default=10)
ML_ARTIFACT_ORPHAN_GRACE_HOURS = env.float("ML_ARTIFACT_ORPHAN_GRACE_HOURS", default=24.0)
if ML_TRAINING_HEARTBEAT_SECONDS < 1 or ML_TRAINING_STALE_SECONDS < 2 * ML_TRAINING_HEARTBEAT_SECONDS:
    # A live job that misses one beat (a busy database) must not be taken for a dead one.
    raise ImproperlyConfigured("ML_TRAINING_STALE_SECONDS must be at least twice ML_TRAINING_HEARTBEAT_SECONDS (>= 1).")
ML_MODEL_CACHE_SIZE = env.int("ML_MODEL_CACHE_SIZE", default=100)
# Encryption at rest of model artifacts (Fernet keys, comma-separated): the first encrypts
# new artifacts, every one decrypts, so a new key goes first and the old ones stay until
# ``manage.py artifacts_rekey`` has rewritten every artifact. Empty: stored in clear.
ML_ARTIFACT_KEYS = env.list("ML_ARTIFACT_KEYS", default=[])
ML_DEGRADATION_RATIO = env.float("ML_DEGRADATION_RATIO", default=1.5)  # realised / backtest MAE
ML_FORECAST_CACHE_TTL = env.int("ML_FORECAST_CACHE_TTL", default=900)  # seconds
ML_PREDICTION_RETENTION_DAYS = env.int("ML_PREDICTION_RETENTION_DAYS", default=90)
ML_BATCH_MAX_ITEMS = env.int("ML_BATCH_MAX_ITEMS", default=100)  # items of one POST /api/v1/ml/predict/batch/
# Algorithms a training runs when none are requested (empty: every registered one).
ML_ALGORITHMS = env.list("ML_ALGORITHMS", default=[])

# --- Budgets and recurring bills (the end-user pages, coaching's budget risk) ------------
# A category the model suggested with a confidence below this is not counted in budget
# spending until a member accepts it (it is shown apart).
BUDGET_SUGGESTION_MIN_CONFIDENCE = env.float("BUDGET_SUGGESTION_MIN_CONFIDENCE", default=0.6)
# A recurring bill: at least RECURRING_MIN_OCCURRENCES payments to one payee, a regular
# period (weekly, monthly, yearly) and amounts within RECURRING_AMOUNT_TOLERANCE (a
# fraction) of their median.
RECURRING_MIN_OCCURRENCES = env.int("RECURRING_MIN_OCCURRENCES", default=3)
RECURRING_AMOUNT_TOLERANCE = env.float("RECURRING_AMOUNT_TOLERANCE", default=0.10)
if not 0 <= BUDGET_SUGGESTION_MIN_CONFIDENCE <= 1 or RECURRING_MIN_OCCURRENCES < 3 or RECURRING_AMOUNT_TOLERANCE < 0:
    raise ImproperlyConfigured(
        "Need 0 <= BUDGET_SUGGESTION_MIN_CONFIDENCE <= 1, RECURRING_MIN_OCCURRENCES >= 3, RECURRING_AMOUNT_TOLERANCE >= 0."
    )

# --- Inventory planning (reorder points, safety stock, EOQ, stock plans) ------------------
# Fixed cost of placing one order with a supplier (workspace currency).
INVENTORY_ORDERING_COST = env.float("INVENTORY_ORDERING_COST", default=50.0)
# Cost of holding one unit for a year, as a fraction of its unit cost.
INVENTORY_HOLDING_COST_RATE = env.float("INVENTORY_HOLDING_COST_RATE", default=0.25)
# Probability of not running out during a lead time that safety stock is sized for.
INVENTORY_SERVICE_LEVEL = env.float("INVENTORY_SERVICE_LEVEL", default=0.95)
# Days of sales history that daily demand is estimated from when no forecast is deployed.
INVENTORY_DEMAND_HISTORY_DAYS = env.int("INVENTORY_DEMAND_HISTORY_DAYS", default=90)
# Days a stock plan covers: the holding cost of the stock after ordering is for this long.
INVENTORY_PLAN_HORIZON_DAYS = env.int("INVENTORY_PLAN_HORIZON_DAYS", default=30)
# Lead times and supplier reliability are measured from the receipts of the orders placed in
# the last INVENTORY_LEAD_TIME_HISTORY_DAYS days; a supplier's measured lead time replaces its
# typed one from INVENTORY_LEAD_TIME_MIN_RECEIPTS receipts on (finance/purchasing/selectors.py).
INVENTORY_LEAD_TIME_HISTORY_DAYS = env.int("INVENTORY_LEAD_TIME_HISTORY_DAYS", default=365)
INVENTORY_LEAD_TIME_MIN_RECEIPTS = env.int("INVENTORY_LEAD_TIME_MIN_RECEIPTS", default=3)
if INVENTORY_LEAD_TIME_HISTORY_DAYS < 1 or INVENTORY_LEAD_TIME_MIN_RECEIPTS < 2:
    raise ImproperlyConfigured("Need INVENTORY_LEAD_TIME_HISTORY_DAYS >= 1 and INVENTORY_LEAD_TIME_MIN_RECEIPTS >= 2.")
# What-if scenarios of stock plans: demand × (1 + price change) ^ elasticity when a price
# changes (forecasting/inventory/scenarios.py); a scenario may give its own.
INVENTORY_PRICE_ELASTICITY = env.float("INVENTORY_PRICE_ELASTICITY", default=-1.5)
if not -10 <= INVENTORY_PRICE_ELASTICITY <= 0:
    raise ImproperlyConfigured("INVENTORY_PRICE_ELASTICITY must be between -10 and 0.")
# The early warning (forecasting/inventory/stockout.py, hourly): a product × warehouse whose
# chance of running out within the supplier's lead time reaches this opens a STOCKOUT alert.
INVENTORY_STOCKOUT_ALERT_PROBABILITY = env.float("INVENTORY_STOCKOUT_ALERT_PROBABILITY", default=0.5)
if not 0 < INVENTORY_STOCKOUT_ALERT_PROBABILITY <= 1:
    raise ImproperlyConfigured("INVENTORY_STOCKOUT_ALERT_PROBABILITY must be in (0, 1].")
# The learned stockout classifier (forecasting/inventory/stockout_learning.py) trains once the
# stock history of the last INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS days holds
# INVENTORY_STOCKOUT_MODEL_MIN_EVENTS stockouts; until then the forecast distribution answers.
INVENTORY_STOCKOUT_MODEL_MIN_EVENTS = env.int("INVENTORY_STOCKOUT_MODEL_MIN_EVENTS", default=20)
INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS = env.int("INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS", default=730)
if INVENTORY_STOCKOUT_MODEL_MIN_EVENTS < 1 or INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS < 120:
    raise ImproperlyConfigured("Need INVENTORY_STOCKOUT_MODEL_MIN_EVENTS >= 1 and "
                               "INVENTORY_STOCKOUT_MODEL_HISTORY_DAYS >= 120.")

# --- Coaching recommendations (bandits) -------------------------------------------------
# An accepted or completed recommendation is not offered to that user again for this many
# days after their last answer (one still "In progress", accepted and not done, never is).
COACHING_RECOMMENDATION_COOLDOWN_DAYS = env.int("COACHING_RECOMMENDATION_COOLDOWN_DAYS", default=30)
# Monte-Carlo draws (seeded) that estimate a Thompson-sampling slate's propensities.
COACHING_THOMPSON_PROPENSITY_SAMPLES = env.int("COACHING_THOMPSON_PROPENSITY_SAMPLES", default=2000)
# A recommendation shown and not answered within this many hours counts as ignored
# (reward 0) in offline evaluation; younger ones are left out (still pending).
COACHING_RECOMMENDATION_ANSWER_HOURS = env.int("COACHING_RECOMMENDATION_ANSWER_HOURS", default=24)
if (COACHING_RECOMMENDATION_COOLDOWN_DAYS < 0 or COACHING_THOMPSON_PROPENSITY_SAMPLES < 100
        or COACHING_RECOMMENDATION_ANSWER_HOURS < 0):
    raise ImproperlyConfigured(
        "Need COACHING_RECOMMENDATION_COOLDOWN_DAYS >= 0, COACHING_THOMPSON_PROPENSITY_SAMPLES >= 100, "
        "COACHING_RECOMMENDATION_ANSWER_HOURS >= 0."
    )

# --- Coaching prediction cache and segmentation runs ------------------------------------
# Seconds each kind of coaching answer is kept in the cache (coaching/services/prediction_cache.py);
# 0 turns caching of that kind off. A write to the workspace's transactions, budgets or
# goals, or a new segmentation, forgets the answers at once; the TTL bounds the rest (the
# peers' books). Override some with ``COACHING_CACHE_TTLS=financial_forecast=600,insights=60``.
_COACHING_CACHE_TTLS_SET = env.dict("COACHING_CACHE_TTLS", cast={"value": int}, default={})
COACHING_CACHE_TTLS = {
    "spending_patterns": 6 * 3600,
    "category_preferences": 6 * 3600,
    "financial_personality": 6 * 3600,
    "segment_insights": 6 * 3600,
    "financial_forecast": 3600,
    "insights": 3600,
    "peer_comparison": 6 * 3600,
    "recurring_bills": 3600,
}
if set(_COACHING_CACHE_TTLS_SET) - set(COACHING_CACHE_TTLS):
    raise ImproperlyConfigured(f"COACHING_CACHE_TTLS knows only {', '.join(COACHING_CACHE_TTLS)}.")
COACHING_CACHE_TTLS |= _COACHING_CACHE_TTLS_SET
# The warm-up task (hourly) fills the cache for members active within this many days.
COACHING_CACHE_WARM_ACTIVE_DAYS = env.int("COACHING_CACHE_WARM_ACTIVE_DAYS", default=7)
# Segmentation runs kept (each with its segments and assignments, so it can be restored).
COACHING_SEGMENT_RUNS_KEPT = env.int("COACHING_SEGMENT_RUNS_KEPT", default=30)
if (any(ttl < 0 for ttl in COACHING_CACHE_TTLS.values()) or COACHING_CACHE_WARM_ACTIVE_DAYS < 1
        or COACHING_SEGMENT_RUNS_KEPT < 2):
    raise ImproperlyConfigured(
        "Need COACHING_CACHE_TTLS >= 0, COACHING_CACHE_WARM_ACTIVE_DAYS >= 1, COACHING_SEGMENT_RUNS_KEPT >= 2."
    )

# --- Coaching budget alerts (coaching/services/budget_risk.py, daily) --------------------------
# A budget whose chance of going over by month end reaches this opens one "budget" alert a month.
COACHING_BUDGET_ALERT_PROBABILITY = env.float("COACHING_BUDGET_ALERT_PROBABILITY", default=0.5)
if not 0 < COACHING_BUDGET_ALERT_PROBABILITY <= 1:
    raise ImproperlyConfigured("COACHING_BUDGET_ALERT_PROBABILITY must be in (0, 1].")

# --- Behaviour tracking (coaching/behaviour) -------------------------------------------
# Page views and navigation of signed-in users, their writes to transactions, budgets and
# goals, and their searches and filters are recorded as behavioural events (through the
# privacy filter, never a request body or a query value outside a short list).
BEHAVIOUR_TRACKING_ENABLED = env.bool("BEHAVIOUR_TRACKING_ENABLED", default=True)
# A browsing session ends after this many minutes without a page view; the next starts a new id.
BEHAVIOUR_SESSION_IDLE_MINUTES = env.int("BEHAVIOUR_SESSION_IDLE_MINUTES", default=30)
# Each process buffers events and hands them to the task queue in one message when it holds
# this many, or when the oldest is this many seconds old (checked as each request finishes).
BEHAVIOUR_BUFFER_MAX_EVENTS = env.int("BEHAVIOUR_BUFFER_MAX_EVENTS", default=200)
BEHAVIOUR_BUFFER_MAX_SECONDS = env.float("BEHAVIOUR_BUFFER_MAX_SECONDS", default=5.0)
# Rows per INSERT when a batch is written (1,000 events: two statements).
BEHAVIOUR_WRITE_BATCH = env.int("BEHAVIOUR_WRITE_BATCH", default=500)
# Behaviour-change detection: the last BEHAVIOUR_CHANGE_WINDOW_DAYS against the member's own
# BEHAVIOUR_BASELINE_DAYS before them; a daily measure changed when |z| >= BEHAVIOUR_CHANGE_Z and
# by at least BEHAVIOUR_CHANGE_MIN_RATIO of the baseline, judged only with
# BEHAVIOUR_BASELINE_MIN_ACTIVE_DAYS active days in the baseline.
BEHAVIOUR_CHANGE_WINDOW_DAYS = env.int("BEHAVIOUR_CHANGE_WINDOW_DAYS", default=30)
BEHAVIOUR_BASELINE_DAYS = env.int("BEHAVIOUR_BASELINE_DAYS", default=90)
BEHAVIOUR_CHANGE_Z = env.float("BEHAVIOUR_CHANGE_Z", default=3.0)
BEHAVIOUR_CHANGE_MIN_RATIO = env.float("BEHAVIOUR_CHANGE_MIN_RATIO", default=0.3)
BEHAVIOUR_BASELINE_MIN_ACTIVE_DAYS = env.int("BEHAVIOUR_BASELINE_MIN_ACTIVE_DAYS", default=10)
if (BEHAVIOUR_SESSION_IDLE_MINUTES < 1 or BEHAVIOUR_BUFFER_MAX_EVENTS < 1 or BEHAVIOUR_BUFFER_MAX_SECONDS < 0
        or BEHAVIOUR_WRITE_BATCH < 1 or BEHAVIOUR_CHANGE_WINDOW_DAYS < 7 or BEHAVIOUR_BASELINE_DAYS < 14
        or BEHAVIOUR_CHANGE_Z <= 0 or BEHAVIOUR_CHANGE_MIN_RATIO < 0 or BEHAVIOUR_BASELINE_MIN_ACTIVE_DAYS < 1):
    raise ImproperlyConfigured(
        "Need BEHAVIOUR_SESSION_IDLE_MINUTES, BEHAVIOUR_BUFFER_MAX_EVENTS, BEHAVIOUR_WRITE_BATCH, "
        "BEHAVIOUR_BASELINE_MIN_ACTIVE_DAYS >= 1, BEHAVIOUR_BUFFER_MAX_SECONDS >= 0, BEHAVIOUR_CHANGE_WINDOW_DAYS >= 7, "
        "BEHAVIOUR_BASELINE_DAYS >= 14, BEHAVIOUR_CHANGE_Z > 0, BEHAVIOUR_CHANGE_MIN_RATIO >= 0."
    )

# --- Operations: metrics, logs, alert notifications ------------------------------------
# Prometheus metrics of every process (gunicorn workers, Celery workers) are files in one
# folder that ``/metrics`` adds up (prometheus-client's multiprocess mode). The client reads
# the variable when it is imported, after these settings; empty the folder before starting
# the processes (``make run`` does).
PROMETHEUS_MULTIPROC_DIR = Path(env.str("PROMETHEUS_MULTIPROC_DIR", default=str(VAR_DIR / "prometheus")))
PROMETHEUS_MULTIPROC_DIR.mkdir(parents=True, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(PROMETHEUS_MULTIPROC_DIR)
# ``/metrics`` is anonymous unless one of these is set (both: both are required).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")  # then ``Authorization: Bearer <token>``
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])  # addresses or networks (CIDR)

# E-mail of alert notifications (and anything else): ``smtp://user:pass@host:587/?tls=True``;
# the default prints messages to the worker's output.
_email = env.email_url("EMAIL_URL", default="consolemail://")
EMAIL_BACKEND = _email["EMAIL_BACKEND"]
EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
EMAIL_PORT = _email["EMAIL_PORT"] or 25
EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
EMAIL_USE_TLS = bool(_email.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = bool(_email.get("EMAIL_USE_SSL", False))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Ledgerwise <alerts@localhost>")
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
ALERT_WEBHOOK_TIMEOUT = env.float("ALERT_WEBHOOK_TIMEOUT", default=10.0)  # seconds

# Logs: JSON lines in production, text in development; both carry the request id.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "config.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT, "filters": ["request_id"]},
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler would print its records a second time, unformatted.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "cmdstanpy": {"level": "WARNING"},
        "prophet": {"level": "WARNING"},
    },
}
