"""Credentials in findings are masked: a prefix stays, the rest is stars."""

from __future__ import annotations

from grimoire.core.masking import mask, mask_secrets, secret_spells
from grimoire.core.matching import compile_spellbook
from grimoire.spellbook import load_starter_spellbook

BOOK = compile_spellbook(d.record(i) for i, d in enumerate(load_starter_spellbook(), 1))
SECRETS = secret_spells(BOOK)


def test_mask_keeps_a_short_prefix() -> None:
    assert mask("AKIAABCDEFGHIJKLMNOP") == "AKIA" + "*" * 16
    assert mask("hunter2") == "h******"
    assert mask("abc") == "***"


def test_every_credential_spell_is_masked_in_its_own_examples() -> None:
    assert len(SECRETS) >= 10
    for spell in SECRETS:
        for example in spell.examples:
            if example.endswith("PRIVATE KEY-----"):
                continue  # a key's header alone: its body lines are masked (below)
            masked = mask_secrets(example, SECRETS)
            assert "****" in masked, (spell.title, masked)
            assert len(masked) == len(example)


def test_masking_covers_context_lines_and_key_bodies() -> None:
    excerpt = "\n".join(
        [
            "app/run.py:3",
            'KEY = "AKIAABCDEFGHIJKLMNOP"',
            "breakpoint()",
            "-----BEGIN RSA PRIVATE KEY-----",
            "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun",
        ]
    )
    masked = mask_secrets(excerpt, SECRETS)
    assert "AKIAABCD" not in masked and "AKIA****" in masked
    assert "breakpoint()" in masked and "-----BEGIN RSA PRIVATE KEY-----" in masked
    assert "u1SU1LfV" not in masked and masked.endswith("MIIE" + "*" * 60)


def test_text_without_credentials_is_unchanged() -> None:
    text = "x = yaml.load(f)\nsha = 'deadbeef'"
    assert mask_secrets(text, SECRETS) == text
