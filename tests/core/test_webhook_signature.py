"""verify_signature: GitHub's X-Hub-Signature-256, checked exactly, with any tampering refused.

https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
"""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from grimoire.core.webhook_signature import sign, verify_signature
from tests.strategies import characters

EXAMPLES = settings(max_examples=200)

# Secrets are taken verbatim: commas, quotes, spaces and non-ASCII included. (No NUL: an
# environment variable cannot hold one, and HMAC pads short keys with NULs, so "k" and "k\0"
# are the same key.)
secrets = st.text(
    st.one_of(characters, st.sampled_from(",'\" \t;=\\é€😀")), min_size=1, max_size=80
)
bodies = st.binary(max_size=2048)


def expected(secret: str, body: bytes) -> str:
    """The header GitHub sends, computed here independently of ``sign``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_githubs_documented_vector() -> None:
    header = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign("It's a Secret to Everybody", b"Hello, World!") == header
    assert verify_signature(["It's a Secret to Everybody"], b"Hello, World!", header)
    assert not verify_signature(["It's a Secret to Everybody"], b"Hello, World!!", header)


# Property: sign() is exactly GitHub's scheme, and what it signs verifies with that secret,
# alone or next to another one (the current and the previous secret during a rotation).
@EXAMPLES
@given(body=bodies, secret=secrets, other=secrets, current_first=st.booleans())
def test_signed_bodies_verify_with_current_or_previous_secret(
    body: bytes, secret: str, other: str, current_first: bool
) -> None:
    header = sign(secret, body)
    assert header == expected(secret, body)
    assert verify_signature([secret], body, header)
    pair = [secret, other] if current_first else [other, secret]
    assert verify_signature(pair, body, header)


def headers_for(body: bytes, keys: list[str]) -> st.SearchStrategy[str]:
    """Headers that are right, nearly right, or anything at all."""
    right = st.sampled_from([expected(key, body) for key in keys])
    return st.one_of(
        right,
        right.map(str.upper),
        right.map(lambda h: h.replace("sha256=", "SHA256=")),
        right.map(lambda h: h[:-1]),
        right.map(lambda h: " " + h),
        st.text(st.sampled_from("sha256=0123456789abcdefABCDEF \n"), max_size=80),
        st.text(characters, max_size=80),
    )


# Property: a header is accepted iff it is exactly "sha256=" + the lowercase hex HMAC-SHA256 of
# the raw body with one of the secrets.
@EXAMPLES
@given(data=st.data(), body=bodies, keys=st.lists(secrets, min_size=1, max_size=3))
def test_accepted_iff_exact_hmac_with_one_secret(
    data: st.DataObject, body: bytes, keys: list[str]
) -> None:
    header = data.draw(headers_for(body, keys))
    allowed = {expected(key, body) for key in keys}
    assert verify_signature(keys, body, header) is (header in allowed)


# Property: flipping any bit of any byte of the body breaks the signature.
@EXAMPLES
@given(data=st.data(), body=st.binary(min_size=1, max_size=2048), secret=secrets)
def test_flipped_body_byte_fails(data: st.DataObject, body: bytes, secret: str) -> None:
    index = data.draw(st.integers(0, len(body) - 1))
    mask = data.draw(st.integers(1, 255))
    tampered = bytearray(body)
    tampered[index] ^= mask
    assert not verify_signature([secret], bytes(tampered), sign(secret, body))


# Property: a digest that is truncated or extended by any number of hex digits fails.
@EXAMPLES
@given(
    body=bodies,
    secret=secrets,
    cut=st.integers(1, 64),
    extra=st.text(st.sampled_from("0123456789abcdef"), min_size=1, max_size=8),
)
def test_truncated_or_extended_digest_fails(body: bytes, secret: str, cut: int, extra: str) -> None:
    header = sign(secret, body)
    assert not verify_signature([secret], body, header[:-cut])
    assert not verify_signature([secret], body, header + extra)


# Property: uppercase hex is not GitHub's format, and is refused.
@EXAMPLES
@given(body=bodies, secret=secrets)
def test_uppercase_hex_fails(body: bytes, secret: str) -> None:
    header = sign(secret, body)
    upper = "sha256=" + header.removeprefix("sha256=").upper()
    assume(upper != header)  # a digest with no letter a-f reads the same in both cases
    assert not verify_signature([secret], body, upper)


# Property: a sha1= header (the legacy X-Hub-Signature scheme) is never accepted, whatever digest
# it carries.
@EXAMPLES
@given(body=bodies, secret=secrets)
def test_sha1_header_fails(body: bytes, secret: str) -> None:
    sha1 = hmac.new(secret.encode(), body, hashlib.sha1).hexdigest()
    sha256 = sign(secret, body).removeprefix("sha256=")
    assert not verify_signature([secret], body, f"sha1={sha1}")
    assert not verify_signature([secret], body, f"sha1={sha256}")


# Property: trailing (or leading) whitespace on the header, or a trailing newline or space added
# to the body, fails: the header is compared exactly, over the raw bytes.
@EXAMPLES
@given(body=bodies, secret=secrets, junk=st.sampled_from(["\n", " ", "\r\n", "\t"]))
def test_whitespace_on_header_or_body_fails(body: bytes, secret: str, junk: str) -> None:
    header = sign(secret, body)
    assert not verify_signature([secret], body, header + junk)
    assert not verify_signature([secret], body, junk + header)
    assert not verify_signature([secret], body + junk.encode(), header)


# Property: a signature made with any other secret fails, with one or two secrets configured.
@EXAMPLES
@given(body=bodies, secret=secrets, wrong=secrets, previous=secrets)
def test_wrong_secret_fails(body: bytes, secret: str, wrong: str, previous: str) -> None:
    assume(wrong not in {secret, previous})
    header = sign(wrong, body)
    assert not verify_signature([secret], body, header)
    assert not verify_signature([secret, previous], body, header)


# Property: with no secret configured, nothing verifies.
@EXAMPLES
@given(body=bodies, secret=secrets)
def test_empty_secrets_list_fails(body: bytes, secret: str) -> None:
    assert not verify_signature([], body, sign(secret, body))
    assert not verify_signature((), body, sign(secret, body))


@pytest.mark.parametrize(
    "header",
    [None, "", "sha256=", "sha256", "sha256 =" + "0" * 64, "=" + "0" * 64, "sha256=" + "g" * 64],
)
def test_malformed_headers_fail(header: str | None) -> None:
    assert not verify_signature(["secret"], b"{}", header)


def test_non_ascii_header_fails_without_raising() -> None:
    digest = sign("secret", b"{}").removeprefix("sha256=")
    assert not verify_signature(["secret"], b"{}", "sha256=" + digest[:-1] + "é")
    assert not verify_signature(["secret"], b"{}", "sha256é" + digest)
