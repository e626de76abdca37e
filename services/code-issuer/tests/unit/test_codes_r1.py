import math
import re

from code_issuer import domain

from shared.contracts import formats
from shared.tokens import CROCKFORD


def test_r1_code_is_10_crockford_characters_of_50_bits():
    codes = {domain.new_code() for _ in range(2000)}
    assert len(codes) == 2000  # random, no repeats in a small draw
    for code in codes:
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", code)
    assert len(CROCKFORD) == 32 and not set("ILOU") & set(CROCKFORD)
    assert formats.CODE_LENGTH * math.log2(len(CROCKFORD)) == 50


def test_r1_every_alphabet_character_is_drawn():
    seen = set("".join(domain.new_code() for _ in range(500)))
    assert seen == set(CROCKFORD)


def test_r1_typed_code_is_case_insensitive_and_ignores_spaces_and_hyphens():
    assert domain.normalise_code("abcde-fghjk") == "ABCDEFGHJK"
    assert domain.normalise_code(" ABCDE FGHJK ") == "ABCDEFGHJK"
    assert domain.normalise_code("AB-CD-EF-GH-JK") == "ABCDEFGHJK"


def test_r1_full_width_input_is_nfkc_normalised():
    assert domain.normalise_code("ＡＢＣＤＥ－ＦＧＨＪＫ") == "ABCDEFGHJK"
    assert domain.normalise_code("１２３４５\u3000６７８９０") == "1234567890"


def test_r1_i_and_l_read_as_1_and_o_as_0():
    assert domain.normalise_code("IiLlOo2345") == "1111002345"


def test_r1_wrong_length_or_foreign_characters_are_not_a_code():
    assert domain.normalise_code("ABCDEFGHJ") is None
    assert domain.normalise_code("ABCDEFGHJKM") is None
    assert domain.normalise_code("ABCDEFGHJU") is None  # U is not in Crockford's alphabet
    assert domain.normalise_code("ABCDE[GHJK") is None


def test_r1_digest_is_keyed_and_never_the_code():
    code = domain.new_code()
    digest = domain.code_digest("secret-one", code)
    assert re.fullmatch(r"[0-9a-f]{64}", digest) and code not in digest
    assert digest != domain.code_digest("secret-two", code)
    assert digest == domain.code_digest("secret-one", domain.normalise_code(code.lower()))
