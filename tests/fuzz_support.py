"""What the fuzz tests (tests/test_fuzz_*.py) share: Hypothesis profiles, the forms as the page
renders them, hostile text, and the checks every response and email must pass.

Profiles, chosen by the HYPOTHESIS_PROFILE environment variable:
- `dev` (the default, what `make test` runs): a few examples per form, so the suite stays fast;
- `ci` (`make fuzz`, run by .ci/run): 1,000 examples per form.
Only the fuzz tests use them (`@fuzz_settings`); other Hypothesis tests keep their own settings.

Each example runs in a savepoint that is rolled back (`one_example`), so every example starts
from the state the test set up: a request still waiting for its code, a rate limit not yet
counted, a sign-in lock not yet taken. The browser's cookies are put back too.

A form is read from its page (`form_on`): its hidden fields (CSRF, the submission token, a
task's id) are copied as rendered, and the fields to fuzz are the ones the page shows. A form
that gains a field is fuzzed on it without a change here.
"""

import copy
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.core import mail
from django.db import transaction
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.request_helpers import deliver_emails

# --- Profiles -----------------------------------------------------------------------------------

settings.register_profile(
    "dev",
    max_examples=int(os.environ.get("FUZZ_EXAMPLES", 12)),
    deadline=None,  # a page may take a while on a busy machine; only failures count
    suppress_health_check=[
        # The Django client and the database fixtures are shared by a test's examples on
        # purpose: one_example() rolls back what each example changed.
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
    print_blob=True,  # a failure in CI prints the line that replays it here
)
# CI's run: 1,000 examples per form, and no example database left behind.
settings.register_profile("ci", settings.get_profile("dev"), max_examples=1000, database=None)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "dev")
fuzz_settings = settings(settings.get_profile(PROFILE if PROFILE in ("dev", "ci") else "dev"))

# --- Hostile text -------------------------------------------------------------------------------

# Pieces an attacker types. `zqx` is a word no page of ours contains: where a piece comes back
# unescaped, its signature (below) is in the HTML.
HOSTILE = [
    "<script>zqx()</script>",
    "<zqx>",
    '" zqx="1',
    "' zqx='1",
    "&zqx;",
    "<img src=x onerror=zqx()>",
    "\r\nBcc: zqx@evil.example",
    "\nX-Zqx: 1",
    "\r\n\r\n<zqx>",
    "{{ zqx }}",
    "{% zqx %}",
    "%(zqx)s",
    "%s%s%n",
    "\x00",
    "\x0b\x0c\x1b",
    "\u202e",
    "\ufeff",
    "\ud7ff",
    "😀",
    "ǅİß",
    "' OR '1'='1",
    "'; DROP TABLE zqx;--",
    "../../../etc/passwd",
    "javascript:zqx()",
    "//evil.example/zqx",
    " ",
    "\t",
    "9" * 30,
    "-1",
    "0",
]
# What the page holds if a piece above was not escaped.
UNESCAPED = ("<script>zqx", "<zqx", "<img src=x", 'zqx="1', "zqx='1", "&zqx;")

# Headers an email of ours may carry. Anything else means text reached a header.
EMAIL_HEADERS = {
    "content-type",
    "mime-version",
    "content-transfer-encoding",
    "subject",
    "from",
    "to",
    "reply-to",
    "date",
    "message-id",
    "cc",
}


def hostile_text(max_size: int = 60) -> st.SearchStrategy[str]:
    """Any text, hostile pieces among ordinary characters, and nothing at all."""
    pieces = st.one_of(st.text(max_size=12), st.sampled_from(HOSTILE))
    return st.one_of(
        st.lists(pieces, max_size=5).map("".join).map(lambda s: s[:max_size]),
        st.text(max_size=max_size),
        st.just(""),
    )


def or_hostile(plausible: st.SearchStrategy[str], max_size: int = 60) -> st.SearchStrategy[str]:
    """A plausible value most of the time (so the form is accepted and the data travels on),
    hostile text otherwise, and the two combined."""
    return st.one_of(
        plausible,
        plausible,
        st.just(""),
        hostile_text(max_size),
        st.tuples(plausible, st.sampled_from(HOSTILE)).map("".join),
    )


NAMES = st.sampled_from(["Dana Shopper", "María José O'Brien-Núñez", "李小龍", "A", "J. R. & Co"])
# Hostile names that pass the forms' "no < or >" rule: quotes and ampersands reach the pages.
NAMES_THAT_PASS = st.tuples(
    NAMES, st.sampled_from(['" zqx="1', "' zqx='1", "&zqx;", "\r\nX-Zqx: 1"])
)
EMAILS = st.one_of(
    st.sampled_from(["dana@example.com", "o'brien+tag@example.com", "x@sub.example.org"]),
    st.emails(),
)


def name_value() -> st.SearchStrategy[str]:
    return st.one_of(NAMES, NAMES_THAT_PASS.map("".join), st.just(""), or_hostile(NAMES, 210))


def email_value() -> st.SearchStrategy[str]:
    return or_hostile(EMAILS, 260)


def date_value() -> st.SearchStrategy[str]:
    return or_hostile(st.dates().map(lambda d: d.isoformat()), 30)


# --- Forms as the page renders them -------------------------------------------------------------


@dataclass
class FormField:
    name: str
    kind: str  # text, email, password, hidden, checkbox, radio, select, textarea, file, date...
    value: str = ""
    options: list[str] = field(default_factory=list)


@dataclass
class HtmlForm:
    action: str
    method: str
    fields: dict[str, FormField] = field(default_factory=dict)

    def hidden(self) -> dict[str, str]:
        return {f.name: f.value for f in self.fields.values() if f.kind == "hidden"}

    def visible(self) -> list[FormField]:
        return [f for f in self.fields.values() if f.kind not in ("hidden", "submit", "button")]


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[HtmlForm] = []
        self._form: HtmlForm | None = None
        self._select: FormField | None = None
        self._textarea: FormField | None = None

    def handle_starttag(self, tag, attrs):
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._form = HtmlForm(action=a.get("action", ""), method=a.get("method", "get").lower())
            self.forms.append(self._form)
            return
        if self._form is None or ("name" not in a and tag != "option"):
            if tag == "option" and self._select is not None:
                self._select.options.append(a.get("value", ""))
            return
        fields = self._form.fields
        if tag == "input":
            kind = a.get("type", "text").lower()
            known = fields.get(a["name"])
            if kind == "radio" and known is not None:
                known.options.append(a.get("value", "on"))
            elif kind == "radio":
                fields[a["name"]] = FormField(a["name"], kind, options=[a.get("value", "on")])
            else:
                fields[a["name"]] = FormField(a["name"], kind, a.get("value", ""))
        elif tag == "select":
            self._select = fields[a["name"]] = FormField(a["name"], "select")
        elif tag == "option" and self._select is not None:
            self._select.options.append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = fields[a["name"]] = FormField(a["name"], "textarea")
        elif tag == "button" and a.get("name"):
            fields[a["name"]] = FormField(a["name"], "button", a.get("value", ""))

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea.value += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def forms_on(html: str) -> list[HtmlForm]:
    parser = _FormParser()
    parser.feed(html)
    return parser.forms


def form_on(response, *, having: str | None = None, action: str | None = None) -> HtmlForm:
    """The form of the page that has the field `having` (or posts to `action`)."""
    assert response.status_code == 200, (response.status_code, response.get("Location"))
    for form in forms_on(response.content.decode()):
        if having is not None and having not in form.fields:
            continue
        if action is not None and form.action != action:
            continue
        return form
    raise AssertionError(f"no form with {having or action} on the page")


def post_as_rendered(client, url: str, values: dict, *, page: str | None = None):
    """POST `values` through the form that `page` (by default `url` itself) renders for `url`,
    with its hidden fields (CSRF, the submission token) as rendered: how a browser posts."""
    rendered = client.get(page or url)
    candidates = [
        f
        for f in forms_on(rendered.content.decode())
        if f.method == "post" and f.action in ("", url)
    ]
    assert candidates, f"no form for {url} on {page or url}"
    form = next((f for f in candidates if set(values) & set(f.fields)), candidates[0])
    return client.post(url, fill(form, values))


# --- The checks ---------------------------------------------------------------------------------


def assert_page_safe(response) -> None:
    """No server error, and nothing hostile came back unescaped."""
    assert response.status_code < 500, response.status_code
    content_type = response.get("Content-Type", "")
    if "html" in content_type and not getattr(response, "streaming", False):
        body = response.content.decode(errors="replace")
        # The fuzzed data reached the view: a CSRF refusal would mean the form was not posted
        # as rendered, and every example after it would test nothing.
        assert not (response.status_code == 403 and "CSRF" in body), "refused by the CSRF check"
        unescaped = [s for s in UNESCAPED if s in body]
        assert not unescaped, f"unescaped {unescaped} in {response.request['PATH_INFO']}"
    location = response.get("Location", "")
    if location:
        assert_same_site(location)


def assert_same_site(location: str) -> None:
    """A redirect never leaves the portal (no open redirect through `next`)."""
    parts = urlsplit(location)
    assert not parts.scheme or parts.netloc in ("testserver", "127.0.0.1:8000"), location
    assert not location.startswith(("//", "/\\", "\\")), location


def assert_emails_safe(messages) -> None:
    """Every email has only our headers, a one-line subject, and escaped HTML."""
    for message in messages:
        parsed = message_from_bytes(message.message().as_bytes())
        names = {name.lower() for name in parsed}  # a Message iterates its header names
        assert names <= EMAIL_HEADERS, f"extra email header {names - EMAIL_HEADERS}"
        assert "\n" not in message.subject and "\r" not in message.subject
        assert len(message.to) == 1 and "\n" not in message.to[0]
        assert not message.bcc and not message.cc
        for html, _type in getattr(message, "alternatives", []):
            unescaped = [s for s in UNESCAPED if s in html]
            assert not unescaped, f"unescaped {unescaped} in the email {message.subject!r}"


def sent_emails_checked() -> list:
    """Send what the outbox holds (as the worker would) and check every email sent."""
    sent = list(deliver_emails())
    assert_emails_safe(sent)
    return sent


@contextmanager
def one_example(*clients) -> Iterator[None]:
    """Run one example and undo it: its rows (a savepoint rolled back), its emails, and the
    cookies it left in each browser."""
    saved = [copy.deepcopy(client.cookies) for client in clients]
    mail.outbox.clear()
    try:
        with transaction.atomic():
            yield
            transaction.set_rollback(True)
    finally:
        for client, cookies in zip(clients, saved, strict=True):
            client.cookies = cookies
        mail.outbox.clear()


def fill(form: HtmlForm, values: dict[str, object]) -> dict[str, object]:
    """The form's hidden fields as rendered, then the values drawn (a value of None leaves the
    field out, as a browser does with an unticked box)."""
    data: dict[str, object] = dict(form.hidden())
    for name, value in values.items():
        if value is None:
            data.pop(name, None)
        elif isinstance(value, Upload):
            data[name] = value.as_file()
        else:
            data[name] = value
    return data


def drawn(data, form: HtmlForm, **fixed) -> dict[str, object]:
    """A value drawn for each field the form shows (a value in `fixed` instead, if given).

    A third of the examples fill every field plausibly, a third all but one, the rest anything
    at all: a form with ten fields is then often accepted, so what was typed travels on to the
    pages and emails that show it, and every field is also fuzzed on its own."""
    fields = [f for f in form.visible() if f.name not in fixed]
    mode = data.draw(st.sampled_from(["plausible", "one field fuzzed", "all fuzzed"]), label="mode")
    fuzzed = {f.name for f in fields} if mode == "all fuzzed" else set()
    if mode == "one field fuzzed" and fields:
        fuzzed = {data.draw(st.sampled_from([f.name for f in fields]), label="fuzzed field")}
    values: dict[str, object] = dict(fixed)
    for form_field in fields:
        strategy = strategy_for(form_field, plausible=form_field.name not in fuzzed)
        values[form_field.name] = data.draw(strategy, label=form_field.name)
    return fill(form, values)


@dataclass(frozen=True)
class Upload:
    """A file to attach, made into an upload only when posted (an upload is read once)."""

    name: str
    content: bytes

    def as_file(self):
        from django.core.files.uploadedfile import SimpleUploadedFile

        return SimpleUploadedFile(self.name, self.content)


FILE_NAMES = st.one_of(
    st.sampled_from(["permission.pdf", "../../etc/passwd", "a.png", "x" * 300 + ".pdf", ".pdf"]),
    # Characters a browser sends in a file name (it escapes quotes and line breaks itself), and
    # never an empty name when a file is chosen.
    st.text(st.characters(exclude_characters='\r\n"\\', exclude_categories=["Cs"]), max_size=40)
    .map(lambda name: name.replace("/", "_"))
    .filter(lambda name: name.strip() not in ("", ".", "..")),
)
FILE_CONTENTS = st.one_of(
    st.binary(max_size=2000).map(lambda b: b"%PDF-1.4\n" + b),
    st.binary(max_size=200).map(lambda b: b"\x89PNG\r\n\x1a\n" + b),
    st.binary(max_size=200).map(lambda b: b"\xff\xd8\xff" + b),
    st.binary(max_size=500),
)


def upload_value() -> st.SearchStrategy[Upload | None]:
    return st.one_of(st.builds(Upload, FILE_NAMES, FILE_CONTENTS), st.none())


def strategy_for(form_field: FormField, *, plausible: bool = False) -> st.SearchStrategy:
    """A value for a field the page shows, by its kind and its name: anything at all, or (with
    `plausible`) a value the form would accept, though still with quotes, ampersands and line
    breaks where the form lets them through, so that they travel on to later pages."""
    name = form_field.name.rsplit("-", 1)[-1]
    if form_field.kind == "file":
        return upload_value()
    if form_field.kind == "checkbox":
        ticked = st.just(form_field.value or "on")
        return ticked if plausible else st.one_of(ticked, st.none(), hostile_text(10))
    if form_field.kind in ("radio", "select"):
        offered = st.sampled_from(form_field.options or [""])
        return offered if plausible else st.one_of(offered, hostile_text(20), st.none())
    if form_field.kind == "date" or name.endswith(("_on", "_date")):
        return st.dates().map(lambda d: d.isoformat()) if plausible else date_value()
    if form_field.kind == "email" or name.endswith("email"):
        return EMAILS if plausible else email_value()
    if name.endswith("name"):
        return st.one_of(NAMES, NAMES_THAT_PASS.map("".join)) if plausible else name_value()
    known = PLAUSIBLE.get(name)
    if known is not None:
        return known if plausible else or_hostile(known)
    if plausible and form_field.kind == "textarea":
        # Staff's free text takes any characters: every hostile piece, in ordinary words.
        return st.tuples(st.sampled_from(HOSTILE), NAMES).map(" ".join)
    if plausible:
        return st.one_of(NAMES, NAMES_THAT_PASS.map("".join))
    return hostile_text(4100 if form_field.kind == "textarea" else 260)


PLAUSIBLE: dict[str, st.SearchStrategy[str]] = {
    "zip_code": st.sampled_from(["94110", "94110-1234", "00000"]),
    "phone": st.sampled_from(["(415) 555-0123", "+14155550123", "415.555.0123"]),
    "address": st.sampled_from(["742 Sample Lane", "742 sample lane, apt 2", "1 Main St"]),
    "recent_purchase": st.sampled_from(["DP-000001", "dp-000001", "DP-999999"]),
    "code": st.from_regex(r"\A\d{6}\Z"),
    "token": st.from_regex(r"\A\d{6}\Z"),
    "reference": st.sampled_from(["PR-2026-000001", "PR-2026-7KQ4-M9XD", "pr 2026 7kq4 m9xd"]),
    "identifier": st.one_of(EMAILS, st.sampled_from(["(415) 555-0123", "+1 415 555 0199"])),
    "password": st.sampled_from(["correct horse battery", ""]),
    "q": st.sampled_from(["Dana", "PR-2026", "example.com", "%", "_"]),
}


def escaped_in(body: str, text: str) -> bool:
    """Whether `text` shows on the page as Django's escaping writes it."""
    from django.utils.html import escape

    return escape(text) in body


def text_of(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode(errors="replace"))
