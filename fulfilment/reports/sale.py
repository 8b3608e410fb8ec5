"""What was disclosed and sold in the period: the "Disclosed and sold" rule of fulfilment.reports.
Whether the consumer's data could be sold, and when, is consent's to say
(consent.selectors.sale_history); this module applies it to the categories held."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings

from consent.selectors import SaleHistory

from .records import CategoryFacts
from .shared import disclosures, iso, ref, sales, third_party


def sold_in_period_test(history: SaleHistory) -> Callable[[CategoryFacts], bool]:
    """Whether a category was sold in the period: it was held at some moment sale was allowed."""

    def sold_in_period(entry: CategoryFacts) -> bool:
        held_from = entry.first_held_at
        return held_from is not None and any(held_from <= until for _, until in history.allowed)

    return sold_in_period


@dataclass(frozen=True)
class SharingSections:
    third_parties: list[dict[str, Any]]
    disclosed_categories: list[dict[str, Any]]
    sold_categories: list[dict[str, Any]]


def sharing_sections(
    held: list[CategoryFacts], *, sold_in_period: Callable[[CategoryFacts], bool]
) -> SharingSections:
    """Every category held is disclosed to the inventory's disclosure third parties, and sold to
    its sale third parties when sold in the period; each third party with what it received."""
    disclosed_categories: list[dict[str, Any]] = []
    sold_categories: list[dict[str, Any]] = []
    third_parties: dict[str, dict[str, Any]] = {}
    for entry in held:
        category = entry.category
        shared = [(s, "disclosed") for s in disclosures(category)]
        if disclosures(category):
            disclosed_categories.append(
                {
                    "category": ref(category),
                    "third_parties": [third_party(s) for s in disclosures(category)],
                }
            )
        if sales(category) and sold_in_period(entry):
            sold_categories.append(
                {
                    "category": ref(category),
                    "third_parties": [third_party(s) for s in sales(category)],
                }
            )
            shared += [(s, "sold") for s in sales(category)]
        for sharing, how in shared:
            party = sharing.third_party
            third_parties.setdefault(
                party.slug,
                {**ref(party), "order": party.display_order, "disclosed": [], "sold": []},
            )
            if category.name not in third_parties[party.slug][how]:
                third_parties[party.slug][how].append(category.name)
    third_party_list = sorted(third_parties.values(), key=lambda p: (p["order"], p["name"]))
    for party_row in third_party_list:
        del party_row["order"]
    return SharingSections(
        third_parties=third_party_list,
        disclosed_categories=disclosed_categories,
        sold_categories=sold_categories,
    )


def _purposes_for_selling(sold_categories: list[dict[str, Any]]) -> list[str]:
    purposes: list[str] = []
    for sold_item in sold_categories:
        for sold_to in sold_item["third_parties"]:
            if sold_to["reason"] not in purposes:
                purposes.append(sold_to["reason"])
    return purposes


def sale_section(
    *, sharing: SharingSections, history: SaleHistory, held: list[CategoryFacts]
) -> dict[str, Any]:
    """Whether the consumer's personal information was sold in the period, and if not, why."""
    sold_categories = sharing.sold_categories
    if sold_categories:
        status, explanation = "sold", ""
    elif not any(sales(entry.category) for entry in held):
        status = "not_held"
        explanation = "We held none of the kinds of personal information we sell about you."
    elif not history.allowed and history.opted_out_at_start:
        status = "opted_out"
        explanation = (
            "You had told us not to sell your personal information before this period began, "
            "so we did not sell it at any time in the period."
        )
    elif not history.allowed:
        status = "under_age"
        explanation = (
            f"We do not sell the personal information of consumers under "
            f"{settings.SALE_MINIMUM_AGE} unless they, or a parent or guardian, allow it, so we "
            "did not sell yours at any time in the period."
        )
    else:
        status = "not_held_while_allowed"
        explanation = (
            "We held none of the kinds of personal information we sell about you while their "
            "sale was allowed in this period."
        )
    return {
        "sold": bool(sold_categories),
        "status": status,
        "explanation": explanation,
        "categories": sold_categories,
        "purposes_for_selling": _purposes_for_selling(sold_categories),
        "sale_allowed": [
            {"from": iso(begin), "to": iso(finish)}
            for begin, finish in history.allowed
            if finish - begin > timedelta(0)
        ],
    }
