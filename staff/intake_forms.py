"""The intake form a customer-care representative fills in while on a call (or with a letter or
an email in hand). It validates what was typed and says what is wrong beside each field; the
rules about what happens next live in requests_app.services.intake.

It asks for nothing the notice promises never to ask for: no social security number, health or
financial information, or password (the notice, section III, "Verifiable Requests").
"""

import copy
from datetime import date, timedelta

from django import forms

from requests_app.forms import NAME_MAX, NO_MARKUP, DataPointsForm
from requests_app.models import Channel, DataPoint, RequesterKind, RequestType
from requests_app.services.intake import ASKED_POINTS, MAX_DAYS_BACK, received_on_problem

EMAIL_MAX = 254

# The rights as a representative says them; the values are the request types.
RIGHT_CHOICES = [
    (RequestType.KNOW_CATEGORIES, "Know the categories of personal information we hold about them"),
    (RequestType.KNOW_SPECIFIC, "Get a copy of the specific pieces of personal information"),
    (RequestType.DELETE, "Delete their personal information"),
]
WHO_CHOICES = [
    (RequesterKind.SELF, "Themselves"),
    (RequesterKind.AGENT, "Someone else, as their authorized agent"),
    (RequesterKind.PARENT, "Their child under 16, as parent or legal guardian"),
]

# What a representative reads out for each data point (phone), or looks for (mail and email).
QUESTIONS = {
    DataPoint.ADDRESS: (
        "“What is the street address your orders are shipped to?”",
        "Street address given",
    ),
    DataPoint.ZIP_CODE: ("“And the zip code?”", "Zip code given"),
    DataPoint.RECENT_PURCHASE: (
        "“What is the order number of your most recent purchase?”",
        "Most recent order number given",
    ),
    DataPoint.PHONE: ("“What phone number do we have for you?”", "Phone number given"),
}
HINTS = {
    DataPoint.ADDRESS: "Street and number, e.g. 742 Evergreen Terrace, Apt 2.",
    DataPoint.ZIP_CODE: "5 digits, e.g. 94110.",
    DataPoint.RECENT_PURCHASE: "It is in their order confirmation email, e.g. DP-004512.",
    DataPoint.PHONE: "With the area code, e.g. (415) 555-0123.",
}


def _text_field(label: str, *, max_length: int, required: bool, markup_ok: bool = False):
    return forms.CharField(
        label=label,
        max_length=max_length,
        required=required,
        validators=[] if markup_ok else [NO_MARKUP],
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}.",
            "max_length": f"This can be at most {max_length} characters.",
        },
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


def _email_field(label: str, *, required: bool, help_text: str = "") -> forms.EmailField:
    return forms.EmailField(
        label=label,
        required=required,
        max_length=EMAIL_MAX,
        help_text=help_text,
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}.",
            "invalid": "Enter an email address like name@example.com.",
            "max_length": f"An email address can be at most {EMAIL_MAX} characters.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


class IntakeForm(forms.Form):
    """One page, in the order of the call. Which fields it has depends on the channel: a call
    has the 18-or-over confirmation; a letter or an email has the date it arrived instead."""

    request_type = forms.ChoiceField(
        label="Which right do they want to use?",
        choices=RIGHT_CHOICES,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose which right they want to use.",
            "invalid_choice": "Choose one of the rights listed.",
        },
    )
    requester_kind = forms.ChoiceField(
        label="Who is the request for?",
        choices=WHO_CHOICES,
        widget=forms.RadioSelect,
        help_text="A request from an agent or a parent waits until the signed written "
        "permission (agent) or declaration (parent) has arrived by mail or email.",
        error_messages={
            "required": "Choose who the request is for.",
            "invalid_choice": "Choose one of the options listed.",
        },
    )
    caller_name = _text_field("Full name of the person asking", max_length=NAME_MAX, required=True)
    caller_email = _email_field(
        "Their email address",
        required=False,
        help_text="Read it back letter by letter. Leave it empty if they have none: then the "
        "reference is only read out and the acknowledgment goes by mail.",
    )
    subject_name = _text_field(
        "Full name of the consumer or child", max_length=NAME_MAX, required=False
    )
    subject_email = _email_field(
        "Email address the consumer or child uses with us",
        required=False,
        help_text="If known: it helps find their records.",
    )

    def __init__(self, *args, channel: str, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.channel = channel
        self.today = today
        on_phone = channel == Channel.PHONE
        for point in ASKED_POINTS:
            field = copy.deepcopy(DataPointsForm.base_fields[point])
            question, written = QUESTIONS[point]
            field.label = question if on_phone else written
            field.help_text = HINTS[point]
            field.widget.attrs["autocomplete"] = "off"
            field.error_messages["max_length"] = (
                f"This can be at most {field.max_length} characters."  # type: ignore[attr-defined]
            )
            self.fields[point] = field
        if on_phone:
            self.fields["adult"] = forms.BooleanField(
                label="The caller confirmed they are 18 or over",
                error_messages={
                    "required": "Confirm the caller is 18 or over before going on. If they are "
                    "not, end the call politely: a parent or guardian can call for a child."
                },
            )
        else:
            self.fields["received_on"] = forms.DateField(
                label="Date the letter arrived" if channel == Channel.MAIL else "Date received",
                help_text=f"Today, {today:%-d %B %Y}, or up to {MAX_DAYS_BACK} days back: "
                f"on or after {today - timedelta(days=MAX_DAYS_BACK):%-d %B %Y}.",
                widget=forms.DateInput(
                    attrs={
                        "type": "date",
                        "min": f"{today - timedelta(days=MAX_DAYS_BACK):%Y-%m-%d}",
                        "max": f"{today:%Y-%m-%d}",
                    },
                    format="%Y-%m-%d",
                ),
                error_messages={
                    "required": "Enter the date the request arrived.",
                    "invalid": "Enter the date like 2026-11-20 (year-month-day).",
                },
            )
        if channel == Channel.EMAIL:
            email = self.fields["caller_email"]
            email.required = True
            email.label = "The email address it came from"
            email.error_messages["required"] = "Enter the email address the request came from."
            email.help_text = "The receipt with the reference goes to this address."
        if channel == Channel.MAIL:
            self.fields[
                "caller_email"
            ].help_text = "If the letter gives one. Without it, the acknowledgment goes by mail."
        # The order of the page (and so of the summary of problems at its top).
        self.order_fields(
            [
                "adult",
                "received_on",
                "request_type",
                "requester_kind",
                "subject_name",
                "subject_email",
                "caller_name",
                "caller_email",
                *ASKED_POINTS,
            ]
        )

    # The same checks as the consumer's own form (requests_app.forms.DataPointsForm).
    clean_zip_code = DataPointsForm.clean_zip_code
    clean_phone = DataPointsForm.clean_phone

    def clean_received_on(self):
        received_on = self.cleaned_data["received_on"]
        problem = received_on_problem(
            channel=self.channel, received_on=received_on, today=self.today
        )
        if problem:
            raise forms.ValidationError(problem)
        return received_on

    def clean(self):
        cleaned = super().clean() or {}
        kind = cleaned.get("requester_kind")
        if kind in (RequesterKind.AGENT, RequesterKind.PARENT):
            if not cleaned.get("subject_name") and "subject_name" not in self.errors:
                self.add_error(
                    "subject_name",
                    "Enter the name of the consumer (or the child) the request is for.",
                )
        elif kind == RequesterKind.SELF:
            for name in ("subject_name", "subject_email"):
                if cleaned.get(name):
                    self.add_error(
                        name,
                        "Only for agents and parents: clear this, or choose who the request "
                        "is for again.",
                    )
        return cleaned

    def answers(self) -> dict[str, str]:
        return {point: self.cleaned_data.get(point, "") for point in ASKED_POINTS}

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "channel": self.channel,
            "received_on": data.get("received_on"),
            "request_type": data["request_type"],
            "requester_kind": data["requester_kind"],
            "caller_name": data["caller_name"],
            "caller_email": data.get("caller_email", ""),
            "subject_name": data.get("subject_name", ""),
            "subject_email": data.get("subject_email", ""),
            "answers": self.answers(),
            "caller_confirmed_adult": bool(data.get("adult")),
        }
