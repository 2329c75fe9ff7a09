"""The API answers what its OpenAPI schema says (issue 21): schemathesis over every
operation of ``/api/schema/``, against the WSGI application in this process, with a
token of a seeded workspace's owner and without one.

Every generated request must get an answer without a server error (5xx), with a status
code the operation documents, and with a body that matches that status's schema. The
examples are bounded and derandomized (the same cases on every run) so the test is
repeatable and fits CI's time (see ``EXAMPLES``). Half of the valid cases are aimed at
the seeded workspace and its objects, so answers past the lookups are checked too; each
operation starts from the seed (its writes are rolled back).

For a deeper look: ``SCHEMATHESIS_EXAMPLES`` (more cases), ``SCHEMATHESIS_STRICT=1`` (also
schemathesis' valid-input-accepted and invalid-input-refused checks), ``SCHEMATHESIS_OPERATIONS``
(a part of the operations' labels), ``SCHEMATHESIS_REPORT`` (a file for the findings)."""

from __future__ import annotations

import contextlib
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from config.throttling import AnonRateThrottle, UserRateThrottle
from config.wsgi import application
from finance.models import Membership
from forecasting.monitoring.models import Alert, PerformanceSnapshot
from forecasting.serving.models import Feedback
from forecasting.training.models import TrainingJob
from tests.factories import (
    BehavioralEventFactory,
    BudgetFactory,
    CategoryFactory,
    GoalFactory,
    InvitationFactory,
    MembershipFactory,
    ProductFactory,
    SaleFactory,
    StockLevelFactory,
    SupplierFactory,
    TransactionFactory,
    WarehouseFactory,
    WorkspaceFactory,
    fitted_version,
)

pytestmark = [pytest.mark.slow, pytest.mark.django_db]

#: Examples per operation and generation mode (positive: data the schema allows;
#: negative: data it does not). ``SCHEMATHESIS_EXAMPLES`` raises it for a deeper run.
EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "8"))
ANONYMOUS_EXAMPLES = 2  # without a token every operation but the token's own answers 401
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
if os.environ.get("SCHEMATHESIS_STRICT"):  # also: valid input accepted, invalid input refused (a deeper run)
    CHECKS += [positive_data_acceptance, negative_data_rejection]


@dataclass
class Run:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: dict[str, str] = field(default_factory=dict)  # "<check> — <operation> [status]": first report


@dataclass
class Seed:
    """A workspace with one object of each kind, its owner's token, and where each
    object is: the collection's path → the object's id."""

    headers: dict[str, str]
    workspace: int = 0
    ids: dict[str, int] = field(default_factory=dict)


def _seed() -> Seed:
    workspace = WorkspaceFactory(name="Schema Bakery")
    owner = MembershipFactory(workspace=workspace, role=Membership.Role.OWNER).user
    membership = Membership.objects.get(workspace=workspace, user=owner)
    category = CategoryFactory(workspace=workspace)
    rows = TransactionFactory.create_batch(3, workspace=workspace, category=category)
    supplier = SupplierFactory(workspace=workspace)
    product = ProductFactory(workspace=workspace, supplier=supplier)
    warehouse = WarehouseFactory(workspace=workspace)
    version = fitted_version(workspace=workspace, status="deployed")
    job = TrainingJob.objects.create(workspace=workspace, target="expense", status=TrainingJob.Status.SUCCEEDED)
    alert = Alert.objects.create(workspace=workspace, kind=Alert.Kind.TRAINING, target="revenue", message="Seeded")
    PerformanceSnapshot.objects.create(workspace=workspace, model_version=version, metrics={"mae": 1.0}, n_points=3)
    feedback = Feedback.objects.create(workspace=workspace, kind=Feedback.Kind.ACTUAL, target="revenue",
                                       model_version=version, actual=120.0)
    objects = {
        "workspaces": workspace, "memberships": membership, "categories": category, "transactions": rows[0],
        "budgets": BudgetFactory(workspace=workspace, category=category), "goals": GoalFactory(workspace=workspace),
        "suppliers": supplier, "products": product, "warehouses": warehouse,
        "stock-levels": StockLevelFactory(workspace=workspace, product=product, warehouse=warehouse),
        "sales": SaleFactory(workspace=workspace, product=product, warehouse=warehouse),
        "events": BehavioralEventFactory(workspace=workspace, user=owner),
        "invitations": InvitationFactory(workspace=workspace),
        "ml/models": version, "ml/jobs": job, "ml/alerts": alert, "ml/feedback": feedback,
    }
    token, _ = Token.objects.get_or_create(user=owner)
    return Seed(headers={"Authorization": f"Token {token.key}"}, workspace=workspace.pk,
                ids={f"/api/v1/{path}/": row.pk for path, row in objects.items()})


def _aim(case: schemathesis.Case, seed: Seed) -> None:
    """Point a generated request at the seeded workspace and its objects (half of the
    valid cases), so that the answers past the lookups are checked too."""
    path = case.operation.path
    if "{id}" in path and path.split("{id}")[0] in seed.ids:
        case.path_parameters["id"] = seed.ids[path.split("{id}")[0]]
    if "{target}" in path:
        case.path_parameters["target"] = "revenue"
    if isinstance(case.query, dict) and "workspace" in case.query:
        case.query["workspace"] = seed.workspace
    if isinstance(case.body, dict) and "workspace" in case.body:
        case.body["workspace"] = seed.workspace


def _run(schema: schemathesis.BaseSchema, seed: Seed, examples: int) -> Run:
    run = Run()
    only = os.environ.get("SCHEMATHESIS_OPERATIONS", "")  # a part of the label, to look at a few operations
    for result in schema.get_all_operations():
        operation = result.ok()
        if only not in operation.label:
            continue
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            # Each operation starts from the seed: what one wrote (or deleted) is rolled back.
            with contextlib.suppress(Unsatisfiable), transaction.atomic():
                # Unsatisfiable: nothing of this mode to generate (a negative of an operation without inputs)
                _probe(run, operation, mode, seed, examples)
                transaction.set_rollback(True)
    return run


def _probe(run: Run, operation: schemathesis.APIOperation, mode: schemathesis.GenerationMode, seed: Seed,
           examples: int) -> None:
    aim = mode is schemathesis.GenerationMode.POSITIVE and bool(seed.ids)
    seen = Counter()

    @settings(max_examples=examples, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode))
    def probe(case: schemathesis.Case) -> None:
        seen["examples"] += 1
        if aim and seen["examples"] % 2:
            _aim(case, seed)
        response = case.call(headers=seed.headers)
        run.cases += 1
        run.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=CHECKS, headers=seed.headers)
        except FailureGroup as group:
            for failure in group.exceptions:
                key = f"{failure.title} — {operation.label} [{response.status_code}]"
                sent = f"{case.method} {case.formatted_path} query={case.query!r} body={case.body!r}"[:500]
                run.failures.setdefault(key, f"{str(failure)[:1500]}\n    sent: {sent}")

    probe()


@pytest.fixture
def api_schema(monkeypatch) -> Iterator[schemathesis.BaseSchema]:
    # A scan from one address is not an attack: the anonymous limit (60/min) would answer
    # most anonymous cases 429 (documented, but then the 401s would go unchecked), and the
    # user's (2000/min) more or fewer of the token's cases depending on the machine's speed.
    # The per-hour scopes (imports, segment refresh) stay: their 429s come by count, not time.
    for throttle in (AnonRateThrottle, UserRateThrottle):
        rates = {**throttle.THROTTLE_RATES, "anon": "100000/min", "user": "100000/min"}
        monkeypatch.setattr(throttle, "THROTTLE_RATES", rates)
    # The test's database connection outlives each request, as with Django's test client.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _report(run: Run) -> str:
    lines = [f"{run.cases} cases, statuses {dict(sorted(run.statuses.items()))}, {len(run.failures)} failures"]
    lines += [f"{key}\n    {text}" for key, text in sorted(run.failures.items())]
    report = "\n".join(lines)
    if os.environ.get("SCHEMATHESIS_REPORT"):  # a deeper run's findings, whole
        with open(os.environ["SCHEMATHESIS_REPORT"], "a") as out:
            out.write(report + "\n\n")
    return report


def test_every_operation_answers_as_documented_with_a_token(api_schema):
    # given the owner of a seeded workspace
    seed = _seed()

    # when schemathesis sends every operation valid and invalid requests with the owner's token
    run = _run(api_schema, seed, EXAMPLES)

    # then no answer is a server error, an undocumented status or a body off its schema
    print(_report(run))
    assert run.failures == {}, _report(run)
    assert run.statuses[200] > 0


def test_every_operation_answers_as_documented_without_a_token(api_schema):
    # when schemathesis sends every operation requests without credentials
    run = _run(api_schema, Seed(headers={}), ANONYMOUS_EXAMPLES)

    # then each answer is documented (401 everywhere but the token endpoint) and none is a 5xx
    print(_report(run))
    assert run.failures == {}, _report(run)
    assert run.statuses[401] > 0
