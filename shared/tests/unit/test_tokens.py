from shared.tokens import (
    CROCKFORD,
    group,
    is_crockford,
    keyed_digest,
    normalise_crockford,
    random_crockford,
    same_digest,
)


def test_random_crockford_uses_only_the_alphabet_and_the_length():
    for _ in range(200):
        value = random_crockford(10)
        assert len(value) == 10 and set(value) <= set(CROCKFORD)


def test_normalisation_folds_width_case_separators_and_lookalikes():
    assert normalise_crockford("ａｂｃ-de ｆ") == "ABCDEF"
    assert normalise_crockford("il0o") == "1100"
    assert is_crockford(normalise_crockford("abcde-fghjk"), 10)
    assert not is_crockford("ABCDEFGHJU", 10)  # U is not in Crockford's alphabet


def test_group_prints_codes_in_fives():
    assert group("ABCDEFGHJK") == "ABCDE-FGHJK"


def test_keyed_digest_depends_on_secret_and_purpose():
    a = keyed_digest("s1", "ABC", "code")
    assert a != keyed_digest("s2", "ABC", "code")
    assert a != keyed_digest("s1", "ABC", "auth_key")
    assert same_digest(a, keyed_digest("s1", "ABC", "code"))
    assert len(a) == 64
