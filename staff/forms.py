from django import forms
from django.contrib.auth.forms import AuthenticationForm


class StaffSignInForm(AuthenticationForm):
    error_messages = {
        "invalid_login": "That username and password do not match a staff account.",
        "inactive": "This account is disabled.",
    }

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        if not user.is_staff:
            raise forms.ValidationError(self.error_messages["invalid_login"], code="invalid_login")


class TokenForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app, or a backup code",
        max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
        error_messages={"required": "Enter the code."},
    )

    def clean_token(self):
        return "".join(self.cleaned_data["token"].split())


class EnrollForm(forms.Form):
    token = forms.CharField(
        label="The 6-digit code your app shows now",
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
        error_messages={"required": "Enter the code from your app."},
    )
