"""The consent pages' forms. They validate input and say what is wrong next to the field; the
rules are in consent.services. None asks for anything but an email address or a phone number,
and never for a social security number, health or financial details, or a password."""

from django import forms
from django.conf import settings

from .identifiers import IdentifierInvalid, identifier_parse
from .models import MarketingChannel

MARKUP = ("<", ">")


class OptOutForm(forms.Form):
    identifier = forms.CharField(
        label="Your email address or phone number",
        max_length=254,
        help_text="The one you use with Dream Pairs. That is all we need: we do not ask you to "
        "prove who you are.",
        error_messages={
            "required": "Enter your email address or your phone number.",
            "max_length": "That is too long for an email address or a phone number (at most "
            "%(limit_value)d characters).",
        },
        widget=forms.TextInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def clean_identifier(self) -> str:
        value = self.cleaned_data["identifier"]
        if any(character in value for character in MARKUP):
            raise forms.ValidationError(
                "Enter only an email address or a phone number, without < or >."
            )
        try:
            identifier_parse(value)
        except IdentifierInvalid as exc:
            raise forms.ValidationError(str(exc)) from None
        return value


class PreferencesForm(forms.Form):
    email = forms.BooleanField(
        required=False,
        label="Offers and news by email",
        help_text="Our newsletter, special offers and new products.",
    )
    postal = forms.BooleanField(
        required=False,
        label="Catalogs and offers by post",
        help_text="If you say no, we add you to the postal suppression list we give our "
        "marketing partners, as our privacy notice explains, so that no postal marketing "
        "reaches you from us.",
    )
    sms = forms.BooleanField(
        required=False,
        label="Offers by text message",
        help_text="Sent to the phone number on your account. Message and data rates may apply.",
    )

    def choices(self) -> dict[str, bool]:
        return {channel: self.cleaned_data[channel] for channel in MarketingChannel.values}


class PreferencesLinkForm(forms.Form):
    email = forms.EmailField(
        label="Your email address",
        max_length=254,
        help_text="We will email you a link that opens your preferences.",
        error_messages={
            "required": "Enter your email address.",
            "invalid": "Enter a complete email address, like name@example.com.",
            "max_length": "That is too long for an email address (at most %(limit_value)d "
            "characters).",
        },
        widget=forms.EmailInput(attrs={"autocomplete": "email", "spellcheck": "false"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        hours = settings.PREFERENCES_LINK_HOURS
        self.fields["email"].help_text = (
            "We will email you a link that opens your preferences. It works once, for "
            f"{hours} hour{'s' if hours != 1 else ''}."
        )
