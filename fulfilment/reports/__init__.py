"""The answer to a request to know (the notice, section III "Your rights"; Civ. Code 1798.100,
1798.110 and 1798.115; 11 CCR 7024), as one JSON-serializable dict that every file of the answer
(fulfilment/exports/) is rendered from.

Everything the report says about the business comes from the inventory (consent.models: the
categories, their sources, purposes and sharings) and everything it says about the consumer from
the registry (their PersonalRecords, identity and orders) and their consent history. No company
text is written here; the few sentences below explain the consumer's own situation (why a piece
is withheld, why nothing was sold).

The rules, chosen where the law and the notice leave a choice:

Period
    The 12 months before receipt (settings.KNOW_REPORT_LOOKBACK_MONTHS): from the start of the
    day, in the business's time zone, 12 months before the receipt date
    (legal_clock.know_report_lookback_start) to the instant of receipt. The notice: "Any
    disclosures we provide will only cover the twelve-month period preceding receipt."

Categories collected
    The categories of the consumer's PersonalRecords collected in the period. The identity kept
    on the Consumer row (full name, email address, phone number) counts too, as the categories
    "name", "email-address" and "telephone-number", when no record of that category was collected
    in the period but the Consumer row itself was created in the period (its `created_at` is the
    only collection date the registry has for it).

Sources
    The actual sources of the consumer's own records of that category in the period, not every
    source the inventory names for the category. A category reported only because of the
    identity fields has no record to read a source from: it shows the inventory's sources for
    the category, and says so (`sources_basis`: "records" or "inventory").

Purposes
    The inventory's business purposes of each category collected.

Disclosed and sold
    What was disclosed or sold in the period is about the data held in the period, not only the
    data collected in it: a name collected three years ago and sold last month was sold in the
    period. A category counts as held when a record of it (or the identity field for it) was
    collected on or before receipt. It is disclosed to every third party of the inventory's
    disclosure Sharings. It is sold to the third parties of the inventory's sale Sharings only if
    the consumer's data could be sold at some moment of the period while the category was held:
    consent.selectors.sale_history says when, by consent's own rule (not opted out; a consumer
    known to be under SALE_MINIMUM_AGE only after an opt-in) replayed over the consumer's consent
    history. This app never reads the sale flag itself, which no app but consent reads
    (tests/test_opt_out.py). `sale.sale_allowed` lists the stretches of the period during which
    sale was allowed.

Specific pieces (know_specific only)
    Every record collected in the period, the identity fields held now, the login account, and
    every order placed in the period, each with its category, date, source and data system. The
    categories report reveals no specific piece, not even the consumer's name (11 CCR 7024(e)).

Withheld
    11 CCR 7024(d) forbids disclosing a financial account number, a government identification
    number, an account password, or security questions and answers, but requires telling the
    consumer that such information is held. Any run of 13 to 19 digits (spaces or hyphens
    between them allowed) in a value or its details is masked but for its last four digits;
    a number written like a Social Security number (123-45-6789) is masked entirely; detail keys
    that name a password, a security answer, a card security code or a government identification
    number are left out. Each kind so held back, and the account password of a consumer with a
    login account, gets one "withheld" entry saying it is held and why it is not shown.
"""

from .know import REPORT_VERSION, know_report

__all__ = ["REPORT_VERSION", "know_report"]
