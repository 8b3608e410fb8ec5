"""One keyed hash for every stored hash (core/keyed_hash.py), with the outputs the portal stored
before it: a code, a rate-limit key, a suppression entry or a pending opt-out hashed today must
match the one stored last year.

The vectors were computed outside Python, with OpenSSL:
`printf '%s' MESSAGE | openssl dgst -sha256 -hmac vector-key`.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from consent.identifiers import identifier_hash
from core.keyed_hash import KeyPurpose, keyed_hash, keyed_hash_matches
from fulfilment import services as fulfilment_services
from fulfilment.models import DeliveryLink
from registry.suppression import identifier_hmac
from requests_app.models import EmailChallenge
from requests_app.ratelimit import attempt_key
from requests_app.services.codes import challenge_issue, challenge_use
from tests import factories

KEY = "vector-key"
CODE_123456 = "f60d7fe4ee788cc878a74e6ec320e81de29eed19b45c5c15956609f9bdebf05d"
CONSENT_EMAIL_JANE = "a982a4d653da12dec81efdf02e416f170710cf2af578db271fd51ae2c30746c1"
ATTEMPT_EMAIL_JANE = "6b2c5773cfb5d1be92a38864d3ca613553928f28906e46f3777bb70f4a14c9c9"
JANE = "01e869685ed31298a8db65d122bdbeec266b1e0dc7c3ed6d79416895135f88bb"
PHONE = "373b95070018f6d8fca40a574216eecd2f47fff15a0249f6e3d4a1daf180bd21"


@pytest.fixture
def vector_keys(settings):
    settings.SECRET_KEY = KEY
    settings.SUPPRESSION_HASH_KEY = KEY
    settings.CONSENT_HASH_KEY = KEY


def test_the_keyed_hash_is_hmac_sha256_with_the_purposes_key(vector_keys):
    assert keyed_hash("123456", purpose=KeyPurpose.EMAILED_SECRET) == CODE_123456
    assert keyed_hash_matches(CODE_123456, "123456", purpose=KeyPurpose.EMAILED_SECRET)
    assert not keyed_hash_matches(CODE_123456, "123457", purpose=KeyPurpose.EMAILED_SECRET)


def test_each_purpose_reads_its_own_key(vector_keys, settings):
    settings.SUPPRESSION_HASH_KEY = "another-key"

    assert keyed_hash("jane@example.com", purpose=KeyPurpose.RATE_LIMIT) == JANE
    assert keyed_hash("jane@example.com", purpose=KeyPurpose.SUPPRESSION) != JANE


def test_rate_limit_keys_suppression_and_pending_opt_outs_hash_as_they_were_stored(vector_keys):
    assert attempt_key("email", " Jane@Example.com ") == ATTEMPT_EMAIL_JANE
    assert identifier_hmac("Jane@Example.com ") == JANE
    assert identifier_hmac("(415) 555-0188") == PHONE
    assert identifier_hash("email", "jane@example.com") == CONSENT_EMAIL_JANE


@pytest.mark.django_db
def test_an_emailed_code_stored_before_still_verifies(vector_keys):
    now = timezone.now()
    challenge, _ = challenge_issue(
        privacy_request=factories.PrivacyRequestFactory.create(),
        purpose=EmailChallenge.Purpose.CONFIRM_EMAIL,
        now=now,
        lifetime=timedelta(hours=1),
    )
    challenge.code_hash = CODE_123456  # as stored by the portal before the shared helper
    challenge.save(update_fields=["code_hash"])

    challenge_use(challenge=challenge, secret=" 123456 ", now=now)

    challenge.refresh_from_db()
    assert challenge.used_at == now


@pytest.mark.django_db
def test_an_answers_code_stored_before_still_opens_it(vector_keys):
    link = DeliveryLink.objects.create(
        request=factories.PrivacyRequestFactory.create(),
        token_hash=CONSENT_EMAIL_JANE,
        code_hash=CODE_123456,
        created_at=timezone.now(),
        expires_at=timezone.now() + timedelta(days=7),
    )

    assert fulfilment_services.delivery_code_check(link=link, code="123456")
    assert not fulfilment_services.delivery_code_check(link=link, code="654321")
