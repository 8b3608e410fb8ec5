"""Consumer pages for requests. Thin: parse the form, call one service, render or redirect.

Every POST that creates or changes something is idempotent by its form's token
(core.idempotency): a double click or a page sent again acts once and shows the first result.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from core import legal_clock
from core.client_address import client_address
from core.idempotency import idempotent_post, result_remember

from . import access, services
from .forms import (
    ChooseRequestForm,
    ConfirmDeleteForm,
    DataPointsForm,
    EmailCodeForm,
    RequestDetailsForm,
    StatusLookupForm,
)
from .models import PrivacyRequest, RequesterKind, RequestType, Status
from .selectors import consumer_history, requests_of_user
from .services.codes import split_link_token


def next_step_url(privacy_request: PrivacyRequest) -> str:
    steps: dict[str, str] = {
        Status.EMAIL_UNCONFIRMED: "requests:confirm_email",
        Status.VERIFYING: "requests:verify",
        Status.AWAITING_DELETE_CONFIRMATION: "requests:confirm_delete",
    }
    step = steps.get(privacy_request.status, "requests:detail")
    if privacy_request.requester_user_id and privacy_request.status == Status.VERIFYING:
        step = "requests:detail"  # account holders are verified by password, not data points
    return reverse(step, args=[privacy_request.reference])


def _grant_replayed_request(http_request, response, result_id: str):
    """A replayed POST gives this browser the access the first POST gave its own: after a
    double click, or a response lost to an error, the browser that sees the result may not
    hold the session the first response started (core.idempotency)."""
    privacy_request = PrivacyRequest.objects.filter(pk=result_id).first() if result_id else None
    if privacy_request is not None:
        access.grant(http_request, privacy_request)
    return response


def _step_already_done(http_request, privacy_request: PrivacyRequest):
    """The request left this step while the form was on its way (sent twice, or from two tabs):
    say so, and show where it stands now instead of an error."""
    privacy_request.refresh_from_db()
    messages.info(http_request, "That step was already done. This is where your request stands.")
    return redirect(next_step_url(privacy_request))


def posted(http_request):
    """The submitted data on POST (even when empty, so that an empty form shows its errors),
    None on GET."""
    return http_request.POST if http_request.method == "POST" else None


def posted_files(http_request):
    return http_request.FILES if http_request.method == "POST" else None


@require_http_methods(["GET"])
def new_request(http_request):
    """Step one, by GET: what and for whom. Valid answers lead to step two."""
    form = ChooseRequestForm(http_request.GET or None)
    if form.is_valid():
        query = f"?type={form.cleaned_data['type']}&who={form.cleaned_data['who']}"
        return redirect(reverse("requests:details") + query)
    return render(http_request, "requests/new.html", {"form": form})


@require_http_methods(["GET", "POST"])
@idempotent_post(on_replay=_grant_replayed_request)
def request_details(http_request):
    choice = ChooseRequestForm(http_request.GET)
    if not choice.is_valid():
        return redirect("requests:new")
    request_type, who = choice.cleaned_data["type"], choice.cleaned_data["who"]
    user = http_request.user if http_request.user.is_authenticated else None
    form = RequestDetailsForm(
        posted(http_request),
        posted_files(http_request),
        request_type=request_type,
        who=who,
        user=user,
    )
    account_path = user is not None and who == RequesterKind.SELF
    if http_request.method == "POST" and form.is_valid():
        try:
            if account_path and not services.account_password_check(
                user=user, password=form.cleaned_data["password"]
            ):
                form.add_error("password", "That password is not right. Please try again.")
            else:
                privacy_request = _submit(http_request, form, request_type, who, user)
                access.grant(http_request, privacy_request)
                result_remember(http_request, privacy_request.pk)
                return redirect(next_step_url(privacy_request))
        except (services.SubmissionRefused, services.VerificationLocked) as refusal:
            form.add_error(None, str(refusal))
    return render(
        http_request,
        "requests/details.html",
        {
            "form": form,
            "request_type": RequestType(request_type),
            "who": RequesterKind(who),
            "account_path": account_path,
        },
    )


def _submit(http_request, form, request_type, who, user) -> PrivacyRequest:
    data = form.cleaned_data
    account_path = user is not None and who == RequesterKind.SELF
    document = None
    if "permission" in data:
        document = (data["permission"].read(), form.permission_content_type)
    consumer = getattr(user, "consumer", None) if account_path else None
    privacy_request = services.request_submit(
        request_type=request_type,
        requester_kind=who,
        requester_name=(consumer.full_name if consumer else user.get_full_name() or user.email)
        if account_path
        else data["requester_name"],
        requester_email=user.email if account_path else data["requester_email"],
        subject_name=data.get("subject_name", ""),
        subject_email=data.get("subject_email", ""),
        user=user if account_path else None,
        agent_document=document,
        client_ip=client_address(http_request),
        delivery_method=data.get("delivery_method") or "email",
        postal_address=data.get("postal_address", ""),
    )
    if account_path:
        services.request_verify_account(
            privacy_request=privacy_request, user=user, password=data["password"]
        )
        privacy_request.refresh_from_db()
    return privacy_request


@require_http_methods(["GET", "POST"])
@idempotent_post
def confirm_email(http_request, reference):
    privacy_request = access.get_request_or_404(http_request, reference)
    if privacy_request.status != Status.EMAIL_UNCONFIRMED:
        return redirect(next_step_url(privacy_request))
    form = EmailCodeForm(posted(http_request))
    if http_request.method == "POST" and form.is_valid():
        try:
            services.request_confirm_email(
                privacy_request=privacy_request, code=form.cleaned_data["code"]
            )
        except (services.ChallengeError, services.VerificationLocked) as problem:
            form.add_error("code", str(problem))
        except services.WrongState:
            return _step_already_done(http_request, privacy_request)
        else:
            privacy_request.refresh_from_db()
            return redirect(next_step_url(privacy_request))
    return render(
        http_request,
        "requests/confirm_email.html",
        {"form": form, "privacy_request": privacy_request},
    )


@require_POST
@idempotent_post
def resend_code(http_request, reference):
    privacy_request = access.get_request_or_404(http_request, reference)
    if privacy_request.status == Status.EMAIL_UNCONFIRMED:
        try:
            services.resend_code(privacy_request=privacy_request)
        except services.SubmissionRefused as refusal:
            messages.error(http_request, str(refusal))
        else:
            messages.success(http_request, "We have sent a new code. It replaces the earlier one.")
    return redirect(next_step_url(privacy_request))


def _subject_label(privacy_request: PrivacyRequest) -> str:
    labels: dict[str, str] = {
        RequesterKind.AGENT: "The consumer's",
        RequesterKind.PARENT: "Your child's",
    }
    return labels.get(privacy_request.requester_kind, "")


@require_http_methods(["GET", "POST"])
@idempotent_post
def verify(http_request, reference):
    privacy_request = access.get_request_or_404(http_request, reference)
    if privacy_request.status != Status.VERIFYING or privacy_request.requester_user_id:
        return redirect(next_step_url(privacy_request))
    form = DataPointsForm(
        posted(http_request),
        needs_declaration=privacy_request.request_type == RequestType.KNOW_SPECIFIC,
        subject_label=_subject_label(privacy_request),
    )
    if http_request.method == "POST" and form.is_valid():
        try:
            outcome = services.request_verify_data_points(
                privacy_request=privacy_request,
                answers=form.answers(),
                declaration_name=form.cleaned_data.get("declaration_name", ""),
            )
        except services.VerificationLocked as locked:
            form.add_error(None, str(locked))
        except services.WrongState:
            return _step_already_done(http_request, privacy_request)
        else:
            if outcome.message and not outcome.denied:
                form.add_error(None, outcome.message)
            else:
                if outcome.downgraded:
                    messages.info(
                        http_request,
                        "We could confirm two of your details but not three with a signed "
                        "declaration, so we will tell you the categories of personal "
                        "information we hold rather than the specific pieces.",
                    )
                privacy_request.refresh_from_db()
                return redirect(next_step_url(privacy_request))
    return render(
        http_request,
        "requests/verify.html",
        {"form": form, "privacy_request": privacy_request},
    )


@require_http_methods(["GET", "POST"])
@idempotent_post
def confirm_delete(http_request, reference):
    privacy_request = access.get_request_or_404(http_request, reference)
    if privacy_request.status != Status.AWAITING_DELETE_CONFIRMATION:
        return redirect(next_step_url(privacy_request))
    if (
        privacy_request.requester_user_id
        and http_request.user.pk != privacy_request.requester_user_id
    ):
        return redirect(f"{reverse('accounts:sign_in')}?next={http_request.path}")
    ask_password = bool(privacy_request.requester_user_id)
    form = ConfirmDeleteForm(posted(http_request), ask_password=ask_password)
    if http_request.method == "POST" and form.is_valid():
        try:
            outcome = services.request_confirm_delete(
                privacy_request=privacy_request,
                user=http_request.user if ask_password else None,
                password=form.cleaned_data.get("password", ""),
            )
        except services.VerificationLocked as locked:
            outcome = services.VerificationOutcome(message=str(locked))
        except services.WrongState:
            return _step_already_done(http_request, privacy_request)
        if outcome.verified:
            messages.success(http_request, "Thank you. We will delete your personal information.")
            return redirect("requests:detail", reference=privacy_request.reference)
        form.add_error("password", outcome.message)
    return render(
        http_request,
        "requests/confirm_delete.html",
        {"form": form, "privacy_request": privacy_request},
    )


@require_http_methods(["GET"])
def detail(http_request, reference):
    privacy_request = access.get_request_or_404(http_request, reference)
    return render(
        http_request,
        "requests/detail.html",
        {
            "privacy_request": privacy_request,
            "history": consumer_history(privacy_request),
            "received_on": legal_clock.local_date(privacy_request.received_at),
            "due_on": legal_clock.local_date(privacy_request.current_due_at),
            "original_due_on": legal_clock.local_date(privacy_request.due_at),
            "account_exports": _account_exports(http_request, privacy_request),
            "answer_summary": _answer_summary(privacy_request),
            "needs_reauthentication": not access.reauthenticated(http_request, privacy_request),
        },
    )


def _answer_summary(privacy_request: PrivacyRequest) -> str:
    """What the answer said (the same words as its email), for an answered request."""
    if privacy_request.status != Status.FULFILLED:
        return ""
    answered = consumer_history(privacy_request).filter(kind="answered").last()
    return answered.detail if answered else ""


def _account_exports(http_request, privacy_request: PrivacyRequest):
    """An account holder's answer files, shown on their request page (the notice: "If you have
    an account with us, we will deliver our response to that account")."""
    user = http_request.user
    if not (user.is_authenticated and privacy_request.requester_user_id == user.pk):
        return []
    return list(privacy_request.exports.filter(removed_at__isnull=True))


@require_POST
@idempotent_post
def withdraw(http_request, reference):
    privacy_request = access.get_request_or_404(http_request, reference)
    try:
        services.request_withdraw(privacy_request=privacy_request, actor=http_request.user)
    except services.WrongState as problem:
        messages.error(http_request, str(problem))
    else:
        messages.success(http_request, "Your request has been withdrawn.")
    return redirect("requests:detail", reference=reference)


@require_http_methods(["GET", "POST"])
@idempotent_post
def status_lookup(http_request):
    form = StatusLookupForm(posted(http_request))
    if http_request.method == "POST" and form.is_valid():
        services.status_link_send(
            reference=form.cleaned_data["reference"], email=form.cleaned_data["email"]
        )
        # The same answer whether or not anything matched.
        return redirect("requests:status_sent")
    return render(http_request, "requests/status_lookup.html", {"form": form})


@require_http_methods(["GET"])
def status_sent(http_request):
    return render(http_request, "requests/status_sent.html")


@require_http_methods(["GET", "POST"])
@idempotent_post(on_replay=_grant_replayed_request)
def status_open(http_request, token):
    """GET shows a button; only POST spends the link, so mail scanners that fetch links do not
    use it up."""
    parts = split_link_token(token)
    if http_request.method == "POST" and parts:
        try:
            privacy_request = services.status_link_open(challenge_id=parts[0], secret=parts[1])
        except services.ChallengeError as problem:
            return render(http_request, "requests/link_problem.html", {"problem": str(problem)})
        access.grant(http_request, privacy_request)
        result_remember(http_request, privacy_request.pk)
        return HttpResponseRedirect(reverse("requests:detail", args=[privacy_request.reference]))
    if parts is None:
        return render(
            http_request, "requests/link_problem.html", {"problem": "This link is not valid."}
        )
    return render(http_request, "requests/status_open.html")


@require_http_methods(["GET", "POST"])
@idempotent_post
def agent_confirm(http_request, token):
    parts = split_link_token(token)
    if http_request.method == "POST" and parts:
        try:
            services.request_consumer_confirms_agent(challenge_id=parts[0], secret=parts[1])
        except (services.ChallengeError, services.WrongState) as problem:
            return render(http_request, "requests/link_problem.html", {"problem": str(problem)})
        return redirect("requests:agent_confirmed")
    if parts is None:
        return render(
            http_request, "requests/link_problem.html", {"problem": "This link is not valid."}
        )
    return render(http_request, "requests/agent_confirm.html")


@require_http_methods(["GET"])
def agent_confirmed(http_request):
    return render(http_request, "requests/agent_confirmed.html")


@login_required
def my_requests(http_request):
    return render(
        http_request,
        "requests/mine.html",
        {"privacy_requests": requests_of_user(http_request.user)},
    )
