"""Fuzzing the opt-out of sale, the marketing preferences and the consumer's sign-in (issue 10,
proof suite 3): no server error, nothing unescaped, no extra email header, and no redirect that
leaves the portal, whatever is typed or sent."""

import pytest
from django.test import Client
from hypothesis import event, given
from hypothesis import strategies as st

from tests import factories
from tests.fuzz_support import (
    HOSTILE,
    assert_page_safe,
    drawn,
    form_on,
    forms_on,
    fuzz_settings,
    hostile_text,
    one_example,
    or_hostile,
    post_as_rendered,
    sent_emails_checked,
)
from tests.request_helpers import deliver_emails
from tests.test_preferences import link_path

pytestmark = pytest.mark.django_db

# What a Sec-GPC header may carry: the signal, junk, or nothing.
GPC_HEADERS = st.one_of(st.none(), st.sampled_from(["1", "0", " 1", "true", ""]), hostile_text(20))


def with_gpc(header: str | None) -> dict:
    # A header value with a line break cannot be sent; the client would refuse it.
    if header is None or any(c in header for c in "\r\n\x00"):
        return {}
    return {"HTTP_SEC_GPC": header}


@pytest.fixture
def client():
    """A browser whose posts must carry the CSRF token its page gave it, as a real one does."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def dana():
    return factories.consumer_with_account(email="dana@example.com", phone="+14155550123")


@fuzz_settings
@given(data=st.data(), signed_in=st.booleans(), gpc=GPC_HEADERS)
def test_fuzz_do_not_sell(client, dana, data, signed_in, gpc):
    with one_example(client):
        if signed_in:
            client.force_login(dana.user)
        page = client.get("/do-not-sell/")
        # Signed in, the page has the account's one-click form; otherwise the identifier's.
        forms = [f for f in forms_on(page.content.decode()) if f.method == "post"]
        form = data.draw(st.sampled_from(forms), label="form")
        known = st.sampled_from(["dana@example.com", "DANA@example.com ", "(415) 555-0123"])
        values = drawn(data, form, identifier=data.draw(or_hostile(known, 300)))
        response = client.post("/do-not-sell/", values, **with_gpc(gpc))
        assert_page_safe(response)
        event(f"opt-out answered {response.status_code}")
        if response.status_code == 302:
            assert_page_safe(client.get(response["Location"]))
            assert_page_safe(client.get("/do-not-sell/"))
        sent_emails_checked()


@pytest.fixture
def opted_out_account(client, dana):
    """Dana, signed in, has opted out with the account's button."""
    client.force_login(dana.user)
    post_as_rendered(client, "/do-not-sell/", {"action": "opt-out-account"})
    return dana


@fuzz_settings
@given(data=st.data(), gpc=GPC_HEADERS)
def test_fuzz_allowing_sale_again(client, opted_out_account, data, gpc):
    form = form_on(client.get("/do-not-sell/allow/"), having="submission_token")
    with one_example(client):
        values = drawn(data, form) | {"zqx": data.draw(hostile_text())}
        response = client.post("/do-not-sell/allow/", values, **with_gpc(gpc))
        assert_page_safe(response)
        assert_page_safe(client.get("/do-not-sell/"))


@fuzz_settings
@given(data=st.data())
def test_fuzz_asking_for_a_preferences_link(client, dana, data):
    form = form_on(client.get("/preferences/"), having="email")
    email = data.draw(or_hostile(st.just("dana@example.com"), 300))
    with one_example(client):
        response = client.post("/preferences/link/", drawn(data, form, email=email))
        assert_page_safe(response)
        event(f"link asked {response.status_code}")
        for message in sent_emails_checked():
            assert message.to == ["dana@example.com"]


@pytest.fixture
def preferences_opened(client, dana, django_capture_on_commit_callbacks):
    """A browser that opened Dana's emailed preferences link."""
    post_as_rendered(
        client, "/preferences/link/", {"email": "dana@example.com"}, page="/preferences/"
    )
    path = link_path(deliver_emails()[-1])
    assert post_as_rendered(client, path, {}).status_code == 302
    return client


@fuzz_settings
@given(data=st.data(), signed_in=st.booleans(), extra=hostile_text())
def test_fuzz_marketing_preferences(client, preferences_opened, dana, data, signed_in, extra):
    form = form_on(client.get("/preferences/"), having="sms")
    with one_example(client):
        if signed_in:
            client.force_login(dana.user)
        response = client.post("/preferences/", drawn(data, form) | {"zqx": extra})
        assert_page_safe(response)
        event(f"preferences answered {response.status_code}")
        assert_page_safe(client.get("/preferences/"))
        sent_emails_checked()


NEXT = st.one_of(
    st.sampled_from(["/requests/", "https://evil.example/", "//evil.example", "/\\evil.example"]),
    st.sampled_from(["javascript:alert(1)", "http://testserver/requests/", "\\\\evil.example"]),
    hostile_text(80),
)


@fuzz_settings
@given(data=st.data(), next_url=NEXT, right_password=st.booleans())
def test_fuzz_consumer_sign_in(client, dana, data, next_url, right_password):
    form = form_on(client.get("/account/sign-in/"), having="username")
    username = data.draw(or_hostile(st.sampled_from(["dana@example.com", "Dana@Example.com"])))
    password = factories.PASSWORD if right_password else data.draw(hostile_text(), label="pw")
    values = drawn(data, form, username=username, password=password) | {"next": next_url}
    browser = client
    with one_example(browser):
        response = browser.post("/account/sign-in/", values)
        assert_page_safe(response)
        event(f"sign-in answered {response.status_code}")
        if response.status_code == 302:
            assert_page_safe(browser.get(response["Location"]))


@fuzz_settings
@given(piece=st.sampled_from(HOSTILE), where=st.sampled_from(["path", "query"]))
def test_fuzz_public_pages_with_hostile_addresses(client, piece, where):
    from urllib.parse import quote

    pages = ["/", "/what-we-collect/", "/do-not-sell/", "/preferences/", "/requests/new/"]
    with one_example(client):
        for page in pages:
            if where == "path":
                response = client.get(f"{page}{quote(piece, safe='')}/")
            else:
                response = client.get(page, {"next": piece, "q": piece, "type": piece})
            assert_page_safe(response)
