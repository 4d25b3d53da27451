"""The services' refusals with values read German where a page shows them and stay the same
English for the admin API, the CLI and the logs (issue 13): a ``Phrase`` keeps its template and
values, and a value that is itself a message (a reason, a field's label) is translated too."""

from __future__ import annotations

import pytest
from babel.support import Translations

from bridge.domain.errors import BridgeError
from bridge.domain.wording import N_, Joined, Phrase, renamed, translate
from bridge.services.clients import check_redirect_uri
from bridge.services.orgs import Actor
from bridge.services.users import UserExists
from bridge.web.language import TRANSLATIONS
from tests.world import World

GERMAN = Translations.load(str(TRANSLATIONS), ["de"])


def german(message: str) -> str:
    return translate(message, GERMAN.gettext)


def test_adding_a_user_who_exists_reads_german_and_the_same_english(world: World) -> None:
    world.user("ada")
    with pytest.raises(UserExists) as refused:
        world.services.users.create("Ada", email="ada@other.example", password=None)
    assert str(refused.value) == "a user named 'ada' exists"
    assert german(refused.value.message) == "Es gibt bereits einen Benutzer namens 'ada'"


def test_a_member_who_is_already_one_reads_german(world: World) -> None:
    world.user("ada")
    world.org("acme")
    world.join("acme", "ada")
    with pytest.raises(BridgeError) as refused:
        world.services.members.add(Actor.operator(), "acme", "ada")
    assert str(refused.value) == "'ada' is already a member of 'acme'."
    assert german(refused.value.message) == "'ada' ist bereits Mitglied von 'acme'."


@pytest.mark.parametrize(
    ("uri", "english", "in_german"),
    [
        (
            "http://app.example/cb",
            "redirect URI 'http://app.example/cb' must use https; http is allowed only for "
            "127.0.0.1, [::1] and localhost",
            "Die Weiterleitungs-URI 'http://app.example/cb' muss https verwenden; http ist nur "
            "für 127.0.0.1, [::1] und localhost erlaubt",
        ),
        (
            "https://app.example/cb#top",
            "redirect URI 'https://app.example/cb#top' must not contain a fragment",
            "Die Weiterleitungs-URI 'https://app.example/cb#top' darf kein Fragment enthalten",
        ),
    ],
)
def test_an_invalid_redirect_uri_reads_german(uri: str, english: str, in_german: str) -> None:
    with pytest.raises(BridgeError) as refused:
        check_redirect_uri(uri)
    assert str(refused.value) == english
    assert german(refused.value.message) == in_german


def test_an_operator_only_refusal_translates_what_was_refused(world: World) -> None:
    world.user("ada")
    with pytest.raises(BridgeError) as refused:
        world.services.orgs.create(world.actor("ada"), "acme", "Acme")
    assert str(refused.value) == "Creating an organisation is reserved to the bridge's operator."
    assert german(refused.value.message) == (
        "Das Anlegen einer Organisation ist dem Betreiber der Bridge vorbehalten."
    )


def test_a_phrase_translates_the_messages_among_its_values() -> None:
    reasons = Joined(
        [
            Phrase("your organisation %(org)s requires it", org="acme"),
            N_("an administrator required it for your account"),
        ]
    )
    message = Phrase("You cannot turn it off: %(reasons)s.", reasons=reasons)
    assert message == (
        "You cannot turn it off: your organisation acme requires it; "
        "an administrator required it for your account."
    )
    assert german(message) == (
        "Sie können sie nicht ausschalten: Ihre Organisation acme verlangt sie; "
        "ein Administrator hat sie für Ihr Konto verlangt."
    )


def test_a_face_words_a_value_its_own_way_in_nested_messages_too() -> None:
    message = Phrase(
        "You cannot turn it off: %(reasons)s.",
        reasons=Joined([Phrase("your organisation %(org)s requires it", org="acme")]),
    )
    named = renamed(message, lambda name, value: "Acme Werke" if name == "org" else value)
    assert named == "You cannot turn it off: your organisation Acme Werke requires it."
    assert (
        german(named)
        == "Sie können sie nicht ausschalten: Ihre Organisation Acme Werke verlangt sie."
    )
    assert message == "You cannot turn it off: your organisation acme requires it."
