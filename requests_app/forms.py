"""Consumer forms. They validate input and say what is wrong in plain words; the rules about
what happens next live in requests_app.services. No form asks for a social security number,
health or financial information, or a password other than the account's own (the notice)."""

import copy
import re

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from core.idempotency import SubmissionTokenMixin
from registry.normalize import normalize_phone

from . import references
from .models import DataPoint, RequesterKind, RequestType
from .services import agent_document_type

NAME_MAX = 200
TEXT_MAX = 200
# Names and addresses are plain text: refuse markup outright instead of storing it.
NO_MARKUP = RegexValidator(r"^[^<>]*$", "Please use letters, numbers and punctuation only.")


class ChooseRequestForm(forms.Form):
    """Step one: what to ask for, and for whom. Submitted by GET, so it needs no JavaScript."""

    # The link's raw value is never echoed back: a crafted link must not put text on our page.
    type = forms.ChoiceField(
        label="What would you like us to do?",
        choices=RequestType.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose what you would like us to do.",
            "invalid_choice": "Choose what you would like us to do.",
        },
    )
    who = forms.ChoiceField(
        label="Who is the request for?",
        choices=RequesterKind.choices,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose who the request is for.",
            "invalid_choice": "Choose who the request is for.",
        },
    )


def _name_field(
    label: str, *, required: bool = True, autocomplete: str = "name"
) -> forms.CharField:
    return forms.CharField(
        label=label,
        max_length=NAME_MAX,
        required=required,
        validators=[NO_MARKUP],
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}.",
            "max_length": f"{label} can be at most {NAME_MAX} characters.",
        },
        widget=forms.TextInput(attrs={"autocomplete": autocomplete}),
    )


def _email_field(label: str, *, required: bool = True, help_text: str = "") -> forms.EmailField:
    return forms.EmailField(
        label=label,
        required=required,
        max_length=254,
        help_text=help_text,
        error_messages={
            "required": f"Enter {label[0].lower()}{label[1:]}.",
            "invalid": "Enter an email address like name@example.com.",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class RequestDetailsForm(SubmissionTokenMixin, forms.Form):
    """Step two: who is asking and how to reach them. Fields depend on the choice of step one."""

    requester_name = _name_field("Your full name")
    requester_email = _email_field(
        "Your email address",
        help_text="We will send a code to this address to confirm it is yours, and write to "
        "you there about the request.",
    )

    def __init__(self, *args, request_type: str, who: str, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.request_type = request_type
        self.who = who
        self.user = user
        if user is not None and who == RequesterKind.SELF:
            # An account holder confirms with their password instead of an email code.
            del self.fields["requester_name"]
            del self.fields["requester_email"]
            self.fields["password"] = forms.CharField(
                label="Your account password",
                strip=False,
                widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                help_text="To protect your information we ask for your password again.",
                error_messages={"required": "Enter your password to confirm it is you."},
            )
        if who == RequesterKind.AGENT:
            # autocomplete off: the browser would fill in the agent's own name.
            self.fields["subject_name"] = _name_field(
                "The consumer's full name", autocomplete="off"
            )
            self.fields["subject_email"] = _email_field(
                "The consumer's email address",
                help_text="The address they use with us. We will ask them to confirm that "
                "they authorized you.",
            )
            self.fields["permission"] = forms.FileField(
                label="The consumer's signed permission",
                help_text="A PDF, PNG or JPEG of their signed, written permission for you to "
                f"act for them; at most {settings.AGENT_DOCUMENT_MAX_BYTES // (1024 * 1024)} MB.",
                error_messages={"required": "Attach the consumer's signed permission."},
            )
        if who == RequesterKind.PARENT:
            self.fields["subject_name"] = _name_field("Your child's full name", autocomplete="off")
            self.fields["subject_email"] = _email_field(
                "Your child's email address with us",
                help_text="The address on your child's account or orders, so that we can "
                "find their information.",
            )
            self.fields["parent_declaration"] = forms.BooleanField(
                label="I declare that I am the parent or legal guardian of this child, and "
                "that the child is under 16.",
                error_messages={"required": "Confirm that you are the child's parent or guardian."},
            )
        if "requester_email" in self.fields and request_type != RequestType.DELETE:
            # The notice: without an account, "by mail or electronically, at your option".
            self.fields["delivery_method"] = forms.ChoiceField(
                label="How should we send you the answer?",
                choices=[("email", "By email (a link and a code)"), ("post", "By post")],
                initial="email",
                required=False,
                widget=forms.RadioSelect,
            )
            self.fields["postal_address"] = forms.CharField(
                label="Postal address (needed if by post)",
                max_length=500,
                required=False,
                validators=[NO_MARKUP],
                widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "street-address"}),
            )

    def clean(self):
        cleaned = super().clean() or {}
        if (
            cleaned.get("delivery_method") == "post"
            and not cleaned.get("postal_address", "").strip()
        ):
            self.add_error("postal_address", "Enter the postal address to send the answer to.")
        return cleaned

    def clean_permission(self):
        upload = self.cleaned_data["permission"]
        if upload.size > settings.AGENT_DOCUMENT_MAX_BYTES:
            raise forms.ValidationError(
                f"The file is too large: at most "
                f"{settings.AGENT_DOCUMENT_MAX_BYTES // (1024 * 1024)} MB, please."
            )
        head = upload.read(16)
        upload.seek(0)
        kind = agent_document_type(head)
        if kind is None:
            raise forms.ValidationError(
                "The permission must be a PDF, PNG or JPEG file. This file is something else."
            )
        self.permission_content_type = kind[0]
        return upload


class EmailCodeForm(SubmissionTokenMixin, forms.Form):
    code = forms.CharField(
        label="The 6-digit code we emailed you",
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Enter the code from the email."},
    )

    def clean_code(self):
        code = re.sub(r"\s", "", self.cleaned_data["code"])
        if not re.fullmatch(r"\d{6}", code):
            raise forms.ValidationError("The code is 6 digits, like 123456.")
        return code


class DataPointsForm(SubmissionTokenMixin, forms.Form):
    """Details we compare with our records. Only whether each matched is kept."""

    address = forms.CharField(
        label="Street address",
        max_length=TEXT_MAX,
        required=False,
        validators=[NO_MARKUP],
        help_text="The shipping address of an order, e.g. 742 Evergreen Terrace, Apt 2.",
        widget=forms.TextInput(attrs={"autocomplete": "street-address"}),
    )
    zip_code = forms.CharField(
        label="Zip code",
        max_length=10,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "numeric"}),
    )
    recent_purchase = forms.CharField(
        label="Order number of the most recent purchase",
        max_length=40,
        required=False,
        validators=[NO_MARKUP],
        help_text="It is in the order confirmation email.",
    )
    phone = forms.CharField(
        label="Phone number",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )

    def __init__(self, *args, needs_declaration: bool, subject_label: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.needs_declaration = needs_declaration
        if subject_label:
            for field in self.fields.values():
                if field.widget.is_hidden:
                    continue
                label = str(field.label)
                field.label = f"{subject_label} {label[0].lower()}{label[1:]}"
        if needs_declaration:
            self.fields["declaration_name"] = _name_field("Your full name, as your signature")
            self.fields["declaration"] = forms.BooleanField(
                label="I declare under penalty of perjury under the laws of the State of "
                "California that I am the consumer whose personal information this request "
                "concerns, or am authorized to act for them.",
                error_messages={"required": "Tick the declaration to sign it."},
            )

    def clean_zip_code(self):
        value = self.cleaned_data["zip_code"].strip()
        if value and not re.fullmatch(r"\d{5}(-?\d{4})?", value):
            raise forms.ValidationError("A zip code is 5 digits, like 94110.")
        return value

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        if value:
            try:
                normalize_phone(value)
            except ValueError:
                raise forms.ValidationError("Enter a phone number like (415) 555-0123.") from None
        return value

    def clean(self):
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned  # a detail in the wrong format is explained beside it, not "missing"
        given = [p for p in DataPoint.values if p != DataPoint.EMAIL and cleaned.get(p)]
        if not given:
            raise forms.ValidationError(
                "Fill in the details you can: we need to match at least two to confirm who "
                "you are (three for a copy of specific pieces)."
            )
        return cleaned

    def answers(self) -> dict[str, str]:
        return {p: self.cleaned_data.get(p, "") for p in DataPoint.values if p != DataPoint.EMAIL}


class PasswordForm(forms.Form):
    password = forms.CharField(
        label="Your account password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        error_messages={"required": "Enter your password to confirm it is you."},
    )


class ConfirmDeleteForm(SubmissionTokenMixin, forms.Form):
    confirm = forms.BooleanField(
        label="Yes, delete my personal information. I understand this cannot be undone.",
        error_messages={"required": "Tick the box to confirm the deletion."},
    )

    def __init__(self, *args, ask_password: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if ask_password:
            self.fields["password"] = copy.deepcopy(PasswordForm.base_fields["password"])


class StatusLookupForm(SubmissionTokenMixin, forms.Form):
    reference = forms.CharField(
        label="Request reference",
        max_length=20,
        help_text=f"It looks like {references.EXAMPLE} and is in the email we sent.",
        error_messages={"required": "Enter the reference of your request."},
    )
    email = _email_field("The email address you gave us")

    def clean_reference(self):
        value = references.reference_normalize(self.cleaned_data["reference"])
        if value is None:
            raise forms.ValidationError(f"A reference looks like {references.EXAMPLE}.")
        return value
