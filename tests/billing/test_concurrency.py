"""Concurrent reservations against one balance are serialised by the account row lock."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from billing.ledger import InsufficientCredits, account_for, hold_for_job
from billing.models import LedgerEntry
from tests.billing.conftest import pack_grant, quote_of

pytestmark = [pytest.mark.django_db(transaction=True)]

ATTEMPTS = 50


def test_fifty_concurrent_reservations_at_a_balance_for_ten_let_exactly_ten_through(
    workspace, make_job, free_without_credits
):
    pack_grant(workspace, 10)
    jobs = [make_job() for _ in range(ATTEMPTS)]
    start = threading.Barrier(ATTEMPTS)
    outcomes: list[str] = []
    lock = threading.Lock()

    def reserve(job) -> None:
        # Each thread gets its own database connection (Django connections are per thread).
        try:
            start.wait(timeout=30)
            try:
                hold_for_job(job, quote_of(1))
                outcome = "held"
            except InsufficientCredits:
                outcome = "refused"
            except Exception as exc:  # a deadlock or a serialisation failure would land here
                outcome = f"error: {exc!r}"
            with lock:
                outcomes.append(outcome)
        finally:
            connection.close()

    threads = [threading.Thread(target=reserve, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert sorted(set(outcomes)) == ["held", "refused"], outcomes
    assert outcomes.count("held") == 10
    assert outcomes.count("refused") == ATTEMPTS - 10
    account = account_for(workspace)
    assert account.balance() == 0
    assert account.reserved() == 10
    holds = LedgerEntry.objects.filter(kind="hold")
    assert holds.count() == 10
    assert sum(a.amount for h in holds for a in h.allocations.all()) == -10
