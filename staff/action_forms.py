"""Forms of the staff actions on a request page. They check input; the services decide."""

from django import forms
from django.contrib.auth import get_user_model

from requests_app.models import DeletionException, DenialReason, VerificationTier


class ReasonForm(forms.Form):
    tier = forms.ChoiceField(
        label="Level reached",
        choices=[
            (VerificationTier.TWO, "Two details matched"),
            (VerificationTier.THREE, "Three details matched and a signed declaration received"),
        ],
        initial=VerificationTier.TWO,
        help_text="A copy of specific pieces needs the second; with the first it is answered "
        "as categories.",
    )
    reason = forms.CharField(
        label="How was the identity verified?",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Say how the identity was verified."},
    )


class DenyForm(forms.Form):
    reason = forms.ChoiceField(label="Reason", choices=[("", "Choose…"), *DenialReason.choices])
    exception = forms.ChoiceField(
        label="Exception of the privacy notice (deletions under an exception only)",
        choices=[("", "None"), *DeletionException.choices],
        required=False,
    )
    explanation = forms.CharField(
        label="Explanation the consumer will read",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "Write the explanation the consumer will read."},
    )


class ExtendForm(forms.Form):
    new_due_date = forms.DateField(
        label="New due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the new due date.", "invalid": "Enter a date."},
    )
    reason = forms.CharField(
        label="Reason the consumer will read",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Give the reason for the extension."},
    )


class MailedForm(forms.Form):
    mailed_on = forms.DateField(
        label="Posted on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Give the date it was posted.", "invalid": "Enter a date."},
    )


class TaskDoneForm(forms.Form):
    task = forms.IntegerField(widget=forms.HiddenInput)
    done_on = forms.DateField(
        label="Done on",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Give the date it was done.", "invalid": "Enter a date."},
    )
    note = forms.CharField(
        label="Note (what was done, reference of the partner's confirmation)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class NoteForm(forms.Form):
    text = forms.CharField(
        label="Note (staff only)",
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write the note first."},
    )


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        label="Assign to",
        queryset=get_user_model().objects.none(),
        required=False,
        empty_label="Nobody",
    )

    def __init__(self, *args, officers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = officers  # type: ignore[attr-defined]


class EmptyForm(forms.Form):
    """For actions that need nothing but the button."""
