"""Whatever a user sends, the browser flow never lets a 2FA user in without a second factor."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from flows import Completed, Denied, NeedsInput, builtin_flows_dir, load_flows
from tests.flows.flowkit import GOOD_CODE, FakeDirectory, FakeUser, Login

BROWSER = load_flows(builtin_flows_dir()).get("browser")
PATHS = st.sampled_from(["0", "1", "2", "2.0", "2.1", "2.1.0.0", "2.1.1", "9"])
ANSWERS = st.fixed_dictionaries(
    {},
    optional={
        "username": st.sampled_from(["alice", "bob", "", "mallory"]),
        "password": st.sampled_from(["pw", "wrong", ""]),
        "code": st.sampled_from([GOOD_CODE, "000000", "", "12 34 56", "abc"]),
    },
)
ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("advance"), st.just(""), st.just({})),
        st.tuples(st.just("submit"), PATHS, ANSWERS),
        st.tuples(st.just("another"), PATHS, st.just({})),
    ),
    max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(
    actions=ACTIONS,
    has_totp=st.booleans(),
    mfa_required=st.booleans(),
)
def test_no_sequence_of_answers_skips_the_second_factor(
    actions: list[tuple[str, str, dict[str, str]]], has_totp: bool, mfa_required: bool
) -> None:
    directory = FakeDirectory()
    directory.add(FakeUser("u-bob", "bob", "pw", has_totp=has_totp, mfa_required=mfa_required))
    login = Login(BROWSER, directory)
    for action, path, answer in actions:
        if action == "advance":
            outcome = login.advance()
        elif action == "submit":
            outcome = login.submit(path, **answer)
        else:
            outcome = login.try_another_way(path)
        assert isinstance(outcome, NeedsInput | Completed | Denied)
        if isinstance(outcome, Completed):
            assert outcome.result.user_id == "u-bob"
            assert "pwd" in outcome.result.amr
            if has_totp or mfa_required:
                assert "otp" in outcome.result.amr
                assert "mfa" in outcome.result.amr
            else:
                assert outcome.result.amr == ("pwd",)
