"""Billing models: the catalog (plans, operation prices, credit packs) and the credit ledger."""

from __future__ import annotations

from billing.models.catalog import CreditPack, OperationPrice, Plan
from billing.models.ledger import Allocation, CreditAccount, LedgerEntry, SubscriptionState

__all__ = [
    "Allocation",
    "CreditAccount",
    "CreditPack",
    "LedgerEntry",
    "OperationPrice",
    "Plan",
    "SubscriptionState",
]
