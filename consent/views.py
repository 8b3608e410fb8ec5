"""The consent pages. Thin: parse the form, call one service, render or redirect.

Whatever a consumer types, the answer is the same whether or not it matches anyone: the pages
never tell whether someone is a Dream Pairs customer. Every POST that changes something is
idempotent by its form's token (core.idempotency): sent twice, it acts once.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core import legal_clock
from core.idempotency import idempotent_post, result_remember
from inventory.selectors import sold_categories
from registry.models import Consumer

from . import services
from .access import account_consumer, known_consumer, preferences_session_start
from .forms import OptOutForm, PreferencesForm, PreferencesLinkForm
from .models import ConsentSource, SaleStatus
from .selectors import (
    consumer_age,
    consumer_may_be_sold,
    preferences_of,
    sale_status_of,
)

# --- Do Not Sell or Share My Personal Information -------------------------------------------------


def _mark_browser_opted_out(response: HttpResponse) -> HttpResponse:
    response.set_cookie(
        settings.GPC_COOKIE_NAME,
        "1",
        max_age=60 * 60 * 24 * 365,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


def _mark_replayed_browser_opted_out(request, response, result_id):
    """The second POST of an opt-out marks its browser as the first one's was."""
    return _mark_browser_opted_out(response)


@never_cache
@require_http_methods(["GET", "POST"])
@idempotent_post(on_replay=_mark_replayed_browser_opted_out)
def do_not_sell(request):
    """No verification, no account needed (11 CCR 7026(d)): an email address or a phone number,
    or one button for a signed-in consumer."""
    consumer = account_consumer(request)
    form = OptOutForm()
    if request.method == "POST":
        if consumer is not None and request.POST.get("action") == "opt-out-account":
            services.sale_opt_out(consumer=consumer, source=ConsentSource.ACCOUNT)
            return _mark_browser_opted_out(redirect("consent:opt_out_received"))
        form = OptOutForm(request.POST)
        if form.is_valid():
            services.sale_opt_out_by_identifier(
                identifier=form.cleaned_data["identifier"], source=ConsentSource.WEB_FORM
            )
            return _mark_browser_opted_out(redirect("consent:opt_out_received"))

    status = sale_status_of(consumer) if consumer else None
    age = consumer_age(consumer) if consumer else None
    may_be_sold = consumer_may_be_sold(consumer) if consumer else None
    return render(
        request,
        "consent/do_not_sell.html",
        {
            "form": form,
            "consumer": consumer,
            "status": status,
            "opted_out": status is not None and status.state == SaleStatus.State.OPTED_OUT,
            "source_phrase": SOURCE_PHRASES.get(status.source, "") if status else "",
            "may_be_sold": may_be_sold,
            "is_minor": age is not None and age < settings.SALE_MINIMUM_AGE,
            "can_allow_sale": consumer is not None
            and not may_be_sold
            and (age is None or age >= settings.PARENT_OPT_IN_BELOW_AGE),
            "sold_categories": sold_categories(),
            **_rule_numbers(),
        },
    )


# How the page tells a consumer where their current opt-out came from.
SOURCE_PHRASES: dict[str, str] = {
    ConsentSource.WEB_FORM: "with your email address or phone number",
    ConsentSource.ACCOUNT: "on this page",
    ConsentSource.GPC: "from your browser's Global Privacy Control signal",
    ConsentSource.EARLIER_REQUEST: "from a request you made before we held your information",
    ConsentSource.STAFF: "by our customer care team",
}


def _sold_phrase() -> str:
    """What the inventory says is sold, in words: "name, email address and shipping address"."""
    names = [category.name.lower() for category in sold_categories()]
    if len(names) <= 1:
        return "".join(names) or "personal information"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _rule_numbers() -> dict:
    return {
        "partner_days": settings.OPT_OUT_WITHIN_BUSINESS_DAYS,
        "reask_months": settings.OPT_OUT_REASK_AFTER_MONTHS,
        "minimum_age": settings.SALE_MINIMUM_AGE,
        "parent_age": settings.PARENT_OPT_IN_BELOW_AGE,
    }


@require_GET
def opt_out_received(request):
    """The same page whether or not the identifier matched anyone."""
    partners_by = legal_clock.opt_out_effective_by(timezone.now())
    return render(
        request,
        "consent/opt_out_received.html",
        {"partners_by": legal_clock.local_date(partners_by), **_rule_numbers()},
    )


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
@idempotent_post
def allow_sale(request):
    """Allowing sale again, or for the first time at 13 to 15: asked on the Do Not Sell page,
    confirmed here (two steps, 11 CCR 7028(a))."""
    consumer = account_consumer(request)
    if consumer is None or consumer_may_be_sold(consumer):
        return redirect("consent:do_not_sell")
    age = consumer_age(consumer)
    needs_parent = age is not None and age < settings.PARENT_OPT_IN_BELOW_AGE
    if request.method == "POST" and not needs_parent:
        try:
            services.sale_opt_in(
                consumer=consumer,
                authorized_by=SaleStatus.Authorizer.CONSUMER,
                source=ConsentSource.ACCOUNT,
                despite_gpc=getattr(request, "gpc", False),
            )
        except services.OptInRefused as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "Done: you allowed the sale of your personal information. You can opt out "
                "again at any time on this page.",
            )
        return redirect("consent:do_not_sell")
    return render(
        request,
        "consent/allow_sale.html",
        {
            "needs_parent": needs_parent,
            "is_minor": age is not None and age < settings.SALE_MINIMUM_AGE,
            "gpc": getattr(request, "gpc", False),
            "sold": _sold_phrase(),
            **_rule_numbers(),
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def reauthorize(request, token: str):
    """The answer to the one question the business may ask, 12 months after an opt-out."""
    try:
        status = services.reauthorization_status_for(token)
    except services.LinkInvalid:
        return render(request, "consent/link_invalid.html", status=404)
    error = ""
    if request.method == "POST":
        answer = request.POST.get("answer")
        if answer in ("yes", "no"):
            try:
                allowed = services.reauthorization_answer(
                    token=token, allow=answer == "yes", despite_gpc=getattr(request, "gpc", False)
                )
            except services.LinkInvalid:
                return render(request, "consent/link_invalid.html", status=404)
            except services.OptInRefused as exc:
                error = str(exc)
            else:
                return render(request, "consent/reauthorize_done.html", {"allowed": allowed})
        else:
            error = "Choose one of the two answers."
    assert status.changed_at is not None  # an opt-out always has its date (a constraint)
    return render(
        request,
        "consent/reauthorize.html",
        {
            "opted_out_on": legal_clock.local_date(status.changed_at),
            "error": error,
            "sold": _sold_phrase(),
        },
    )


# --- Marketing preferences ------------------------------------------------------------------------


@never_cache
@require_http_methods(["GET", "POST"])
@idempotent_post
def preferences(request):
    """A signed-in consumer's, or the consumer's whose emailed link this browser used; anyone
    else is offered to sign in or to get a link."""
    consumer = known_consumer(request)
    if consumer is None:
        return render(request, "consent/preferences_start.html", {"form": PreferencesLinkForm()})
    signed_in = request.user.is_authenticated
    if request.method == "POST":
        form = PreferencesForm(request.POST)
        if form.is_valid():
            changes = services.preferences_change(
                consumer=consumer,
                choices=form.choices(),
                source=ConsentSource.PREFERENCES_ACCOUNT
                if signed_in
                else ConsentSource.PREFERENCES_LINK,
            )
            if changes:
                effective = legal_clock.local_date(changes[0].effective_by)
                messages.success(
                    request,
                    "Saved. Your changes take effect in all our systems by "
                    f"{date_format(effective, 'l j F Y')} at the latest.",
                )
            else:
                messages.info(request, "Nothing changed: these were already your choices.")
            return redirect("consent:preferences")
    current = preferences_of(consumer)
    form = PreferencesForm(initial={p.channel: p.allowed for p in current})
    return render(
        request,
        "consent/preferences.html",
        {
            "form": form,
            "channels": [(form[p.channel], p) for p in current],
            "consumer": consumer,
            "signed_in": signed_in,
            "days": settings.MARKETING_OPT_OUT_BUSINESS_DAYS,
        },
    )


@require_POST
@idempotent_post
def preferences_link_request(request):
    form = PreferencesLinkForm(request.POST)
    if not form.is_valid():
        return render(request, "consent/preferences_start.html", {"form": form})
    services.preferences_link_send(email=form.cleaned_data["email"])
    return redirect("consent:preferences_link_sent")


@require_GET
def preferences_link_sent(request):
    return render(
        request, "consent/preferences_link_sent.html", {"hours": settings.PREFERENCES_LINK_HOURS}
    )


def _start_replayed_preferences_session(request, response, result_id):
    """The second press of the link's button opens the page for its browser too: after a
    double click the browser may only hold the second response's session."""
    consumer = Consumer.objects.filter(pk=result_id).first() if result_id else None
    if consumer is not None:
        preferences_session_start(request, consumer)
    return response


@never_cache
@require_http_methods(["GET", "POST"])
@idempotent_post(on_replay=_start_replayed_preferences_session)
def preferences_link(request, token: str):
    """Opening the link shows a button; only pressing it uses the link. Mail scanners that
    fetch every link in a message would otherwise spend it before the consumer clicks."""
    if request.method == "POST":
        try:
            consumer = services.preferences_link_redeem(token=token)
        except services.LinkInvalid:
            return render(request, "consent/link_invalid.html", status=404)
        preferences_session_start(request, consumer)
        result_remember(request, consumer.pk)
        return redirect("consent:preferences")
    if not services.preferences_link_valid(token=token):
        return render(request, "consent/link_invalid.html", status=404)
    return render(request, "consent/preferences_link_open.html")
