"""Keeping personal data out of the logs (issue 10, proof suite 6: tests/test_logs_canary.py).

Logs are read by more people, kept longer and copied further than the database, and nothing
erases a person from them. What we log names rows by id, never by what they hold; these two
helpers cover what is not ours to word:

- `error_summary(exc)`: what went wrong, without the exception's message. A mail server's
  refusal carries the recipient's address (smtplib.SMTPRecipientsRefused), a database error
  the values of the row; the class and the SMTP codes say enough to act on.
- `TemplateContextDropped`: django.template logs every missing variable at DEBUG with the
  exception, whose message is the whole template context (names, addresses on the page). The
  record keeps the variable's and the template's names and loses the context.
"""

import logging
import smtplib


def error_summary(exc: BaseException) -> str:
    """The exception's class, and for mail servers their reply codes: never its message."""
    name = type(exc).__name__
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = sorted({str(code) for code, _reply in exc.recipients.values()})
        return f"{name} (SMTP {', '.join(codes)})"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{name} (SMTP {exc.smtp_code})"
    if isinstance(exc, OSError) and exc.errno is not None:
        return f"{name} (errno {exc.errno})"
    return name


class TemplateContextDropped(logging.Filter):
    """Attached to the django.template logger (settings.LOGGING)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.exc_info = None
        record.exc_text = None
        return True
