"""Delivering an answer to know: by a link plus a separate code, or in the account."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from requests_app import access
from requests_app.services import VerificationLocked, account_password_check

from . import services
from .models import Export
from .storage import export_response

SESSION_KEY = "answer_links"


def _link_or_problem(request, token):
    """The link, or the page that explains why it cannot be used (404, or 410 once expired)."""
    try:
        return services.delivery_link_find(token=token), None
    except services.LinkProblem as problem:
        page = render(
            request,
            "fulfilment/link_problem.html",
            {"problem": str(problem)},
            status=problem.status,
        )
        return None, page


@never_cache
@require_http_methods(["GET", "POST"])
def answer(request, token):
    """The emailed link: asks for the code from the second email, then lists the files."""
    link, problem_page = _link_or_problem(request, token)
    if link is None:
        return problem_page
    error = ""
    if request.method == "POST":
        if services.delivery_code_check(link=link, code=request.POST.get("code", "")[:20]):
            granted = set(request.session.get(SESSION_KEY, []))
            request.session[SESSION_KEY] = sorted(granted | {link.pk})
        else:
            error = "That code is not right. It is in the second email we sent you."
    unlocked = link.pk in request.session.get(SESSION_KEY, [])
    return render(
        request,
        "fulfilment/answer.html",
        {
            "link": link,
            "token": token,
            "unlocked": unlocked,
            "error": error,
            "exports": link.request.exports.filter(removed_at__isnull=True) if unlocked else [],
        },
    )


@never_cache
@require_http_methods(["GET"])
def answer_file(request, token, file_format):
    link, problem_page = _link_or_problem(request, token)
    if link is None:
        return problem_page
    if link.pk not in request.session.get(SESSION_KEY, []):
        raise Http404("Enter the code first")
    export = get_object_or_404(Export, request=link.request, format=file_format)
    response = export_response(export, link.request.reference)
    services.download_record(privacy_request=link.request, export=export, by="consumer", link=link)
    return response


def _account_request_or_404(request, reference):
    privacy_request = access.get_request_or_404(request, reference)
    if not (request.user.is_authenticated and privacy_request.requester_user_id == request.user.pk):
        raise Http404("Sign in to the account that made the request")
    return privacy_request


@never_cache
@require_http_methods(["POST"])
def account_reauthenticate(request, reference):
    privacy_request = _account_request_or_404(request, reference)
    try:
        ok = account_password_check(user=request.user, password=request.POST.get("password", ""))
    except VerificationLocked as locked:
        messages.error(request, str(locked))
        return redirect("requests:detail", reference=reference)
    if ok:
        access.mark_reauthenticated(request, privacy_request)
    else:
        messages.error(request, "That password is not right. Please try again.")
    return redirect("requests:detail", reference=reference)


@never_cache
@require_http_methods(["GET"])
def account_file(request, reference, file_format):
    """An account holder's answer, from their signed-in request page."""
    privacy_request = _account_request_or_404(request, reference)
    if not access.reauthenticated(request, privacy_request):
        messages.info(request, "Confirm your password to download your information.")
        return redirect("requests:detail", reference=reference)
    export = get_object_or_404(Export, request=privacy_request, format=file_format)
    response = export_response(export, reference)
    services.download_record(
        privacy_request=privacy_request, export=export, by="consumer", actor=request.user
    )
    return response
