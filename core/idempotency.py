"""Idempotent forms: a double click, a page sent again, or a retry after an error whose work
had in fact been saved creates one thing, never two (issue 10, items 8a and 8g).

Every form that creates something carries a token, fresh for each rendering, in a hidden
field. The first POST with the token claims it: it inserts a `FormSubmission` row whose key is
unique, in the same transaction as what the view creates, so either both are saved or neither.
A second POST with the same token cannot insert the row (the database refuses, it is not a
check then an insert): it waits for the first to finish, then is sent where the first one went,
with a message saying so. A POST whose form had errors gives its token back, so that the
corrected form can be sent with it.

One line on the form, one on the view:

    class NoteForm(SubmissionTokenMixin, forms.Form):   # a form that is only a button puts
        ...                                              # {% submission_token %} in its HTML

    @idempotent_post
    def add_note(request, reference):
        ...                                  # validate, call one service
        return redirect("staff:request", reference=reference)

What the view must do: on success, redirect (Post/Redirect/Get). The redirect is "the first
result" that a second POST is given; any other response (the form again, with its errors)
releases the claim. The view runs inside a transaction: the services it calls open savepoints
inside it and their `on_commit` work (emails) waits for it. A view that gives the browser
something besides the page (access to a request, a cookie) records what it created with
`result_remember(request, id)` and passes `on_replay=`, a function (request, response, id)
that gives the second browser the same, since after a double click or a lost response the
browser that sees the result may not hold the first one's cookies.

A POST without a token (a client that is not one of our pages) is processed as before: the
token protects people from their browser and their network; it is not a security check, and
the rate limits apply either way.
"""

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import wraps

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme

from .models import FormSubmission

TOKEN_FIELD = "submission_token"  # noqa: S105  (a field name, not a secret)
# secrets.token_urlsafe(32): 43 characters of the URL-safe alphabet. Anything else posted in
# the field is ignored, as if there were no token.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
RESULT_ATTRIBUTE = "_idempotency_result_id"
RESULT_URL_MAX = 500  # FormSubmission.result_url's length; a longer redirect is not kept
# A token is kept long enough for any retry a person makes (a tab left open over a weekend);
# the sweep removes older claims.
KEEP_CLAIMS = timedelta(days=7)
REPLAY_MESSAGE = (
    "We had already received this form, so we did not act on it twice. "
    "This is where things stand now."
)

OnReplay = Callable[[HttpRequest, HttpResponse, str], HttpResponse]


def token_new() -> str:
    return secrets.token_urlsafe(32)


def posted_token(http_request: HttpRequest) -> str | None:
    value = http_request.POST.get(TOKEN_FIELD, "")
    return value if TOKEN_PATTERN.fullmatch(value) else None


class SubmissionTokenMixin(forms.Form):
    """Adds the hidden token field to a form. Its name never takes the form's prefix, so one
    page may hold several such forms and the view's decorator always finds it."""

    submission_token = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # A new dict: the caller's `initial` is theirs, not ours to write into.
            self.initial = {**self.initial, TOKEN_FIELD: token_new()}

    def add_prefix(self, field_name: str) -> str:
        if field_name == TOKEN_FIELD:
            return TOKEN_FIELD
        return super().add_prefix(field_name)

    def clean_submission_token(self) -> str:
        # Never an error for the person: a missing or odd token only means no protection.
        value = self.cleaned_data.get(TOKEN_FIELD, "")
        return value if TOKEN_PATTERN.fullmatch(value) else ""


def result_remember(http_request: HttpRequest, result_id: object) -> None:
    """Record what this POST created, handed to `on_replay` when the token comes again."""
    setattr(http_request, RESULT_ATTRIBUTE, str(result_id))


def idempotent_post(view=None, *, on_replay: OnReplay | None = None, message: str = REPLAY_MESSAGE):
    """Make a view's POSTs idempotent by their form's token (see the module's docstring).
    Put it closest to the function, below the permission checks, so a replay is given only to
    someone who may post to the view at all."""

    def decorate(view_function):
        form_name = f"{view_function.__module__}.{view_function.__qualname__}"[:150]

        @wraps(view_function)
        def wrapper(http_request, *args, **kwargs):
            token = posted_token(http_request) if http_request.method == "POST" else None
            if token is None:
                return view_function(http_request, *args, **kwargs)
            key = _claim_key(form_name, http_request.get_full_path(), token)
            with transaction.atomic():
                if not _claim(key, form_name=form_name, now=timezone.now()):
                    replay = _replay(http_request, key, on_replay=on_replay, message=message)
                    if replay is not None:
                        return replay
                response = view_function(http_request, *args, **kwargs)
                _settle(http_request, key, response)
            return response

        return wrapper

    return decorate(view) if view is not None else decorate


def _claim_key(form_name: str, path: str, token: str) -> str:
    # The form and the page (with its query: the request form's type) are part of the key: a
    # token copied into another form, or onto another request's page, claims nothing there.
    return hashlib.sha256(f"{form_name}\n{path}\n{token}".encode()).hexdigest()


def _claim(key: str, *, form_name: str, now: datetime) -> bool:
    """Insert the claim; False when another POST holds it. On PostgreSQL the insert waits for
    a POST still running with the same key to commit or roll back; on SQLite the write lock
    taken at the start of the transaction (IMMEDIATE) does the same."""
    try:
        with transaction.atomic():
            FormSubmission.objects.create(key=key, form=form_name, result_url="", created_at=now)
    except IntegrityError:
        return False
    return True


def _replay(
    http_request: HttpRequest, key: str, *, on_replay: OnReplay | None, message: str
) -> HttpResponse | None:
    """The first POST's result for a second POST. None if there is none to give (the claim
    was purged in between): the caller then processes the POST as if it had no token."""
    submission = FormSubmission.objects.filter(key=key).first()
    if submission is None or not url_has_allowed_host_and_scheme(
        submission.result_url, allowed_hosts={http_request.get_host()}
    ):
        return None
    messages.info(http_request, message, fail_silently=True)
    response: HttpResponse = HttpResponseRedirect(submission.result_url)
    if on_replay is not None:
        response = on_replay(http_request, response, submission.result_id)
    return response


def _settle(http_request: HttpRequest, key: str, response: HttpResponse) -> None:
    """Keep the claim with where the POST led, or give it back if the POST did not succeed."""
    location = response.get("Location", "") if response.status_code in (301, 302, 303) else ""
    claim = FormSubmission.objects.filter(key=key)
    if location and len(location) <= RESULT_URL_MAX:
        claim.update(result_url=location, result_id=getattr(http_request, RESULT_ATTRIBUTE, ""))
    else:
        claim.delete()


def form_submissions_purge(*, now: datetime) -> int:
    """Claims older than KEEP_CLAIMS: no one resends a form that late."""
    deleted, _ = FormSubmission.objects.filter(created_at__lt=now - KEEP_CLAIMS).delete()
    return deleted
