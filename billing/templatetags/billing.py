"""Template helpers: signed credit amounts and the usage summary of the library header."""

from __future__ import annotations

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

register = template.Library()


@register.filter
def signed(value: int) -> str:
    """Return a credit amount with its sign ("+200", "−8", "0"), thousands separated."""
    if not value:
        return "0"
    return f"+{intcomma(value)}" if value > 0 else f"−{intcomma(-value)}"


@register.inclusion_tag("billing/_usage_summary_body.html", takes_context=True)
def billing_usage_summary(context) -> dict:
    """Return the current workspace's plan, balance and held credits (nothing if anonymous)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"account": None}
    from accounts.http import current_workspace
    from billing.ledger import account_for

    account = account_for(current_workspace(request))
    return {"account": account, "balance": account.balance(), "reserved": account.reserved()}
