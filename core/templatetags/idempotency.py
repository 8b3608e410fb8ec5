"""`{% submission_token %}`: the hidden token of core.idempotency, for a form written in HTML
(a button, or fields laid out by hand) rather than rendered from a SubmissionTokenMixin form."""

from django import template
from django.utils.html import format_html

from core.idempotency import TOKEN_FIELD, token_new

register = template.Library()


@register.simple_tag
def submission_token() -> str:
    return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, token_new())
