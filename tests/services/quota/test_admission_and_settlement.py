"""Admission and settlement against the rolling 30-day cap, with time injected (SPEC §4)."""
import itertools
from datetime import datetime, timedelta

import pytest

from app.extensions import db
from app.models import LlmRequest, SpendBucket, User
from app.services.quota import admission as quota_admission
from app.services.quota import settlement as quota_settlement
from app.services.errors import QuotaExceeded

NOW = datetime(2026, 11, 25, 12, 30)
HOUR = timedelta(hours=1)
_ids = itertools.count(1)


@pytest.fixture
def setup(factories):
    model = factories.model("m")

    def make(**user_options):
        user = factories.user(**user_options)
        key = factories.llm_key(user, [model])
        return user, key, model
    return make


def spend(user, start, micro, overage=0):
    db.session.add(SpendBucket(user_id=user.id, bucket_start=start, spend_micro_usd=micro,
                               overage_micro_usd=overage, request_count=1))
    db.session.commit()


def ticket(user, key, model, estimate=100):
    return quota_admission.Ticket(request_id=f"req_test_{next(_ids)}", user_id=user.id, key_id=key.id, model_id=model.id,
                        model_name=model.name, stream=False, estimate=estimate)


def refusal(user, key, model, estimate=100, now=NOW):
    with pytest.raises(QuotaExceeded) as caught:
        quota_admission.admit_request(ticket(user, key, model, estimate), now=now)
    return caught.value


def reload(model_class, ident):
    db.session.rollback()
    return db.session.get(model_class, ident, populate_existing=True)


def result(cost):
    return quota_settlement.Result(outcome="ok", status_code=200, prompt_tokens=1, completion_tokens=1, cost=cost)


def test_under_the_cap_is_served_and_reserves_its_estimate(setup):
    user, key, model = setup(cap_usd="0.001")  # 1000 micro-dollars
    spend(user, NOW - HOUR, 899)
    admission = quota_admission.admit_request(ticket(user, key, model, estimate=50), now=NOW)
    assert reload(User, user.id).reserved_micro_usd == 50
    row = reload(LlmRequest, admission.ledger_id)
    assert (row.outcome, row.reserved_micro_usd, row.finished_at) == ("in_progress", 50, None)
    assert admission.standing.remaining() == 1000 - 899 - 50
    # Under the cap is enough: the estimate may take the request past it.
    quota_admission.admit_request(ticket(user, key, model, estimate=5000), now=NOW)


def test_the_reasons_are_checked_in_spec_order(setup):
    # Over the cap, overage off: quota_exhausted, although overage cap and balance would fail too.
    user, key, model = setup(cap_usd="0.001", overage=False, overage_cap_usd="0", hep_tokens="0")
    spend(user, NOW - HOUR, 1000)
    assert refusal(user, key, model).code == "quota_exhausted"
    # Opted in, overage cap reached: overage_cap, although the balance is empty too.
    user, key, model = setup(cap_usd="0.001", overage=True, overage_cap_usd="0.0005", hep_tokens="0")
    spend(user, NOW - HOUR, 1500, overage=500)
    assert refusal(user, key, model).code == "overage_cap"
    # Opted in, under the overage cap, but the balance cannot pay: no_hep_tokens.
    user, key, model = setup(cap_usd="0.001", overage=True, overage_cap_usd="1", hep_tokens="0.0099")
    spend(user, NOW - HOUR, 1000)
    error = refusal(user, key, model, estimate=100)  # 100 micro-USD x 100 tokens/USD = 0.01 tokens
    assert error.code == "no_hep_tokens"
    # ... and with enough hep tokens the same request is served.
    user, key, model = setup(cap_usd="0.001", overage=True, overage_cap_usd="1", hep_tokens="0.01")
    spend(user, NOW - HOUR, 1000)
    quota_admission.admit_request(ticket(user, key, model, estimate=100), now=NOW)


def test_refusals_are_written_to_the_ledger_and_reserve_nothing(setup):
    user, key, model = setup(cap_usd="0.001")
    spend(user, NOW - HOUR, 1000)
    refusal(user, key, model)
    db.session.rollback()
    [row] = db.session.scalars(db.select(LlmRequest)).all()
    assert (row.outcome, row.status_code, row.error_code, row.cost_micro_usd) == ("rejected", 429,
                                                                                 "quota_exhausted", 0)
    assert reload(User, user.id).reserved_micro_usd == 0


def test_spend_older_than_thirty_days_stops_counting(setup):
    user, key, model = setup(cap_usd="0.001")
    window_start = datetime(2026, 10, 26, 12)  # hour_floor(NOW) - 30 days
    spend(user, window_start - HOUR, 5000)     # rolled out already
    spend(user, window_start, 1000)            # the oldest hour still counted: at the cap
    assert refusal(user, key, model, now=NOW).code == "quota_exhausted"
    assert refusal(user, key, model, now=NOW + timedelta(minutes=29)).code == "quota_exhausted"
    # From the next hour on that bucket has rolled out too.
    quota_admission.admit_request(ticket(user, key, model), now=NOW + timedelta(minutes=30))


def test_in_flight_reservations_count_against_the_cap(setup):
    user, key, model = setup(cap_usd="0.001")
    quota_admission.admit_request(ticket(user, key, model, estimate=600), now=NOW)
    quota_admission.admit_request(ticket(user, key, model, estimate=600), now=NOW)  # 600 < 1000: still under
    error = refusal(user, key, model, estimate=1)                          # 1200 >= 1000
    assert error.code == "quota_exhausted"
    assert "$0.0012 of your $0.001" in error.message
    assert "$0.0012 of it in requests still running" in error.message
    assert "retry-after" not in error.headers  # nothing settled to age out: not knowable
    assert error.headers["x-should-retry"] == "false"


def test_the_refusal_says_when_enough_of_the_window_frees_up(setup):
    user, key, model = setup(cap_usd="0.001")
    spend(user, datetime(2026, 10, 27, 9), 400)   # ages out at 2026-11-26T10:00
    spend(user, datetime(2026, 11, 20, 9), 700)   # ages out at 2026-12-20T10:00
    error = refusal(user, key, model)
    # Dropping the 400 leaves 700 < 1000.
    assert "$0.0011 of your $0.001 rolling 30-day spend cap" in error.message
    assert "frees up at 2026-11-26T10:00:00Z" in error.message
    assert error.headers["retry-after"] == str(int((datetime(2026, 11, 26, 10) - NOW).total_seconds()))
    assert error.headers["x-hep-remaining-usd"] == "0"
    assert error.headers["x-hep-cost-usd"] == "0"


def test_the_overage_cap_refusal_names_the_overage_limit(setup):
    user, key, model = setup(cap_usd="0.001", overage=True, overage_cap_usd="0.0005", hep_tokens="100")
    spend(user, datetime(2026, 11, 1, 0), 1000)
    spend(user, datetime(2026, 11, 2, 0), 500, overage=500)
    error = refusal(user, key, model)
    assert error.code == "overage_cap"
    assert "$0.0005 of your $0.0005 overage cap" in error.message
    # The in-cap spend ageing out (2026-12-01T01:00) brings the user back under the cap first.
    assert "frees up at 2026-12-01T01:00:00Z" in error.message


def test_the_no_hep_tokens_refusal_names_the_balance(setup):
    user, key, model = setup(cap_usd="0.001", overage=True, overage_cap_usd="1", hep_tokens="0.005")
    spend(user, datetime(2026, 11, 1, 0), 1000)
    error = refusal(user, key, model, estimate=100)
    assert error.code == "no_hep_tokens"
    assert "hep-token balance of 0.005 cannot pay" in error.message
    assert "up to 0.01 hep tokens at 100 per USD" in error.message


def test_settlement_replaces_the_reservation_with_the_actual_cost(setup):
    user, key, model = setup(cap_usd="0.001")
    admission = quota_admission.admit_request(ticket(user, key, model, estimate=300), now=NOW)
    settled = quota_settlement.settle_request(user.id, admission, result(123), now=NOW + timedelta(minutes=50))
    assert (settled.cost, settled.overage, settled.hep_debited_micro) == (123, 0, 0)
    assert reload(User, user.id).reserved_micro_usd == 0
    bucket = reload(SpendBucket, (user.id, datetime(2026, 11, 25, 13)))
    assert (bucket.spend_micro_usd, bucket.request_count) == (123, 1)
    row = reload(LlmRequest, admission.ledger_id)
    assert (row.outcome, row.cost_micro_usd, row.reserved_micro_usd) == ("ok", 123, 300)
    assert settled.standing.remaining() == 1000 - 123


def test_the_part_past_the_cap_is_overage_paid_in_hep_tokens(setup):
    user, key, model = setup(cap_usd="0.001", overage=True, overage_cap_usd="1", hep_tokens="1")
    spend(user, NOW - HOUR, 800)
    admission = quota_admission.admit_request(ticket(user, key, model, estimate=300), now=NOW)
    settled = quota_settlement.settle_request(user.id, admission, result(300), now=NOW)
    # 800 + 300 = 1100: 100 of the 300 are past the 1000 cap; 100 micro-USD x 100 tokens/USD = 0.01 tokens.
    assert (settled.cost, settled.overage, settled.hep_debited_micro) == (300, 100, 10_000)
    assert reload(User, user.id).hep_token_balance_micro == 1_000_000 - 10_000
    row = reload(LlmRequest, admission.ledger_id)
    assert (row.overage_micro_usd, row.hep_tokens_debited_micro) == (100, 10_000)
    bucket = reload(SpendBucket, (user.id, datetime(2026, 11, 25, 12)))
    assert (bucket.spend_micro_usd, bucket.overage_micro_usd) == (300, 100)
    # Wholly past the cap now: the next request is all overage.
    admission = quota_admission.admit_request(ticket(user, key, model, estimate=300), now=NOW)
    assert quota_settlement.settle_request(user.id, admission, result(250), now=NOW).overage == 250


def test_users_without_overage_pay_no_hep_tokens_for_the_overshoot(setup):
    user, key, model = setup(cap_usd="0.001", hep_tokens="1")
    spend(user, NOW - HOUR, 800)
    admission = quota_admission.admit_request(ticket(user, key, model, estimate=300), now=NOW)
    settled = quota_settlement.settle_request(user.id, admission, result(300), now=NOW)
    assert (settled.overage, settled.hep_debited_micro) == (0, 0)
    assert reload(User, user.id).hep_token_balance_micro == 1_000_000


def test_the_balance_never_goes_below_zero(setup):
    user, key, model = setup(cap_usd="0.001", overage=True, overage_cap_usd="1", hep_tokens="0.01")
    spend(user, NOW - HOUR, 1000)
    admission = quota_admission.admit_request(ticket(user, key, model, estimate=100), now=NOW)
    settled = quota_settlement.settle_request(user.id, admission, result(500), now=NOW)  # costlier than estimated
    assert (settled.overage, settled.hep_debited_micro) == (500, 10_000)
    assert reload(User, user.id).hep_token_balance_micro == 0


def test_a_swept_row_does_not_release_its_reservation_twice(setup):
    user, key, model = setup(cap_usd="1")
    first = quota_admission.admit_request(ticket(user, key, model, estimate=300), now=NOW)
    quota_admission.admit_request(ticket(user, key, model, estimate=200), now=NOW)
    # A sweeper gave up on the first request and released its reservation.
    db.session.execute(db.update(LlmRequest).where(LlmRequest.id == first.ledger_id).values(outcome="abandoned"))
    db.session.execute(db.update(User).where(User.id == user.id).values(reserved_micro_usd=200))
    db.session.commit()
    quota_settlement.settle_request(user.id, first, result(50), now=NOW)
    assert reload(User, user.id).reserved_micro_usd == 200
    assert reload(LlmRequest, first.ledger_id).cost_micro_usd == 50
