"""Rate limits on sign-in, sign-up, submission and the API: per address, per account, 429 + Retry-After."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest
from django.test import Client, RequestFactory, override_settings
from django.utils import translation
from django.utils.translation import gettext

from idx.common import ratelimit
from idx.common.ratelimit import Rate, client_address, parse_rate
from tests.conftest import IGA_HOST, make_draft, signed_in


def _client(address: str = "192.0.2.10") -> Client:
    return Client(HTTP_HOST=IGA_HOST, REMOTE_ADDR=address)


def _limited_page(response, retry_after_max: int) -> None:
    assert response.status_code == 429
    assert 1 <= int(response["Retry-After"]) <= retry_after_max
    with translation.override("ja"):
        title = gettext("Too many attempts")
    assert title in response.content.decode()
    assert title != "Too many attempts"  # the page is in Japanese, not merely English


# ---- parsing and addresses -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("10/5m", Rate(10, 300)),
        ("3/h", Rate(3, 3600)),
        ("100/30", Rate(100, 30)),
        ("1/1d", Rate(1, 86400)),
        (" 7 / 2s ", Rate(7, 2)),
    ],
)
def test_parse_rate(text, rate):
    assert parse_rate(text) == rate


@pytest.mark.parametrize("text", ["", "off", "OFF", "none"])
def test_parse_rate_off(text):
    assert parse_rate(text) is None


@pytest.mark.parametrize("text", ["ten/5m", "10/5w", "10", "10/0m", "/5m"])
def test_parse_rate_refuses_nonsense(text):
    with pytest.raises(ValueError, match="not a rate"):
        parse_rate(text)


def test_client_address_ignores_forwarded_for_without_proxies():
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="198.51.100.7")
    assert client_address(request) == "192.0.2.1"


@override_settings(IDX_PROXY_COUNT=1)
def test_client_address_behind_one_proxy_takes_the_address_it_saw():
    # The client forged the first entry; our proxy appended the real peer address.
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.5", HTTP_X_FORWARDED_FOR="203.0.113.99, 198.51.100.7"
    )
    assert client_address(request) == "198.51.100.7"


def test_ipv6_clients_are_grouped_by_their_64_network():
    one = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2::10")
    two = RequestFactory().get("/", REMOTE_ADDR="2001:db8:1:2:ffff::1")
    assert client_address(one) == client_address(two) == "2001:db8:1:2::/64"


# ---- sign-in ---------------------------------------------------------------------------------


def test_resident_sign_in_is_limited_per_address(ratelimits, municipalities):
    client = _client()
    for number in range(5):  # sign_in: 5 per address
        response = client.post(
            "/accounts/login/", {"email": f"guess{number}@example.jp", "password": "x" * 12}
        )
        assert response.status_code == 422
    limited = client.post("/accounts/login/", {"email": "guess9@example.jp", "password": "x" * 12})
    _limited_page(limited, 600)
    # Another address is not affected, and looking at the page is not counted.
    assert (
        _client("192.0.2.11").post("/accounts/login/", {"email": "a@example.jp", "password": "y"}).status_code
        == 422
    )
    assert client.get("/accounts/login/").status_code == 200


def test_sign_in_is_limited_per_account_across_addresses(ratelimits, resident):
    for number in range(3):  # sign_in_account: 3 per e-mail address
        response = _client(f"192.0.2.{20 + number}").post(
            "/accounts/login/", {"email": resident.email.upper(), "password": "wrong-password"}
        )
        assert response.status_code == 422
    limited = _client("192.0.2.30").post(
        "/accounts/login/", {"email": resident.email, "password": "wrong-password"}
    )
    _limited_page(limited, 600)
    # Even the right password waits now: the guesser must not learn it by trying it last.
    assert (
        _client("192.0.2.31").post("/accounts/login/", {"email": resident.email, "password": "x"}).status_code
        == 429
    )


def test_staff_sign_in_is_limited(ratelimits, clerk):
    client = _client()
    for _ in range(3):
        assert client.post("/staff/login/", {"email": clerk.email, "password": "wrong"}).status_code == 422
    _limited_page(client.post("/staff/login/", {"email": clerk.email, "password": "wrong"}), 600)


def test_sign_up_is_limited(ratelimits, municipalities):
    client = _client()
    data = {"full_name": "試験 太郎", "email": "new@example.jp", "password": "short"}
    for _ in range(2):  # sign_up_account: 2 per e-mail address
        assert client.post("/accounts/signup/", data).status_code == 422
    _limited_page(client.post("/accounts/signup/", data), 3600)


# ---- submission ------------------------------------------------------------------------------


def test_portal_submission_is_limited_per_account(ratelimits, resident):
    draft = make_draft(resident)
    url = f"/my/applications/{draft.public_id}/review/"
    for number in range(2):  # submit_account: 2 per resident
        client = signed_in(resident, REMOTE_ADDR=f"192.0.2.{40 + number}")
        assert client.post(url, {}).status_code != 429  # no declaration: refused, but counted
    limited = signed_in(resident, REMOTE_ADDR="192.0.2.49").post(url, {})
    _limited_page(limited, 600)
    # Reading the review page is not a submission.
    assert signed_in(resident, REMOTE_ADDR="192.0.2.49").get(url).status_code == 200


def test_api_submission_is_limited_per_account(ratelimits, resident):
    draft = make_draft(resident)
    url = f"/api/v1/applications/{draft.public_id}/submit"
    with override_settings(IDX_RATELIMITS={**ratelimits, "api": "off", "api_account": "off"}):
        for _ in range(2):
            response = signed_in(resident).post(
                url, {"declaration_accepted": False}, content_type="application/json"
            )
            assert response.status_code == 422
        limited = signed_in(resident).post(
            url, {"declaration_accepted": True}, content_type="application/json"
        )
    assert limited.status_code == 429
    assert limited.json() == {
        "code": "rate_limited",
        "message": f"Too many requests. Try again in {limited['Retry-After']} seconds.",
        "errors": [],
    }
    assert draft.__class__.objects.get(pk=draft.pk).status == "draft"


# ---- the API in general ----------------------------------------------------------------------


def test_api_is_limited_per_address(ratelimits, municipalities):
    client = _client()
    for _ in range(5):
        assert client.get("/api/v1/procedures").status_code == 200
    limited = client.get("/api/v1/procedures")
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    assert limited["Content-Type"].startswith("application/json")
    assert limited.json()["code"] == "rate_limited"
    assert _client("192.0.2.99").get("/api/v1/procedures").status_code == 200


def test_api_is_limited_per_token_across_addresses(ratelimits, resident):
    from idx.identity.services import api_token_issue

    token = api_token_issue(user=resident, name="rate limit test")
    for number in range(3):  # api_account: 3 per token
        response = _client(f"192.0.2.{60 + number}").get(
            "/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {token}"
        )
        assert response.status_code == 200
    limited = _client("192.0.2.70").get("/api/v1/applications", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert limited.status_code == 429


def test_pages_outside_the_buckets_are_not_limited(ratelimits, municipalities):
    client = _client()
    for _ in range(20):
        assert client.get("/").status_code == 200


def test_limits_off_when_disabled(ratelimits, municipalities):
    client = _client()
    with override_settings(IDX_RATELIMIT_ENABLED=False):
        for _ in range(10):
            assert client.get("/api/v1/procedures").status_code == 200


def test_a_cache_outage_counts_in_the_process_instead(ratelimits, municipalities, monkeypatch, caplog):
    class Broken:
        def add(self, *args, **kwargs):
            raise ConnectionError("cache down")

    monkeypatch.setattr(ratelimit, "caches", {"default": Broken()})
    monkeypatch.setattr(ratelimit, "_warned", {"at": -60.0})
    ratelimit.local_counts.clear()
    client = _client()
    for _ in range(5):
        assert client.get("/api/v1/procedures").status_code == 200
    assert client.get("/api/v1/procedures").status_code == 429
    assert "rate limit cache unavailable" in caplog.text


def test_counters_hold_no_personal_data(ratelimits, resident):
    from django.core.cache import caches

    _client().post("/accounts/login/", {"email": resident.email, "password": "wrong"})
    keys = list(caches["default"]._cache.keys())  # type: ignore[attr-defined]
    assert keys
    assert not any(resident.email in key or "192.0.2" in key for key in keys)


# ---- configuration -------------------------------------------------------------------------


def _settings_in_subprocess(env: dict[str, str], expression: str, tmp_path) -> Any:
    code = f"import django, json; django.setup(); from django.conf import settings; print(json.dumps({expression}))"
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "idx.settings.test", **env, "IDX_DATA_DIR": str(tmp_path)},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def _pythonpath() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key in ("PATH", "PYTHONPATH", "HOME")}


def test_redis_cache_when_configured(tmp_path):
    caches = _settings_in_subprocess(
        {**_pythonpath(), "IDX_CACHE_URL": "redis://127.0.0.1:6379/3"}, "settings.CACHES", tmp_path
    )
    assert caches["default"]["BACKEND"] == "idx.common.cache.TolerantRedisCache"
    assert caches["default"]["LOCATION"] == "redis://127.0.0.1:6379/3"


def test_database_cache_otherwise_and_limits_from_environment(tmp_path):
    caches, limits = _settings_in_subprocess(
        {**_pythonpath(), "IDX_RATELIMIT_SIGN_IN": "7/1m", "DJANGO_SETTINGS_MODULE": "idx.settings.dev"},
        "[settings.CACHES, settings.IDX_RATELIMITS]",
        tmp_path,
    )
    assert caches["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert limits["sign_in"] == "7/1m"


def _idx_python(code: str, env: dict[str, str], cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_counters_are_shared_between_worker_processes_by_default(tmp_path):
    """Two processes (two gunicorn workers, or a worker recycled after --max-requests) count in one
    place: the database cache that `idx migrate` makes. 100 passwords from one address meet 429."""
    env = {
        **_pythonpath(),
        "DJANGO_SETTINGS_MODULE": "idx.settings.dev",
        "IDX_DATA_DIR": str(tmp_path / "var"),
    }
    made = subprocess.run(
        [sys.executable, "-m", "idx.cli", "migrate", "-v", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    hits = (
        "import django, json; django.setup(); from idx.common.ratelimit import hit, parse_rate; "
        "rate = parse_rate('5/10m'); print(json.dumps([hit('sign_in:198.51.100.7', rate) for _ in range(3)]))"
    )
    first = _idx_python(hits, env, tmp_path)
    assert first.returncode == 0, first.stderr
    second = _idx_python(hits, env, tmp_path)
    assert second.returncode == 0, second.stderr
    assert json.loads(first.stdout.splitlines()[-1]) == [None, None, None]
    waits = json.loads(second.stdout.splitlines()[-1])
    assert waits[:2] == [None, None]
    assert isinstance(waits[2], int) and waits[2] > 0  # the sixth try, in another process, is refused


def test_production_refuses_a_cache_of_its_own_per_process(tmp_path):
    env = {
        **_pythonpath(),
        "DJANGO_SETTINGS_MODULE": "idx.settings.production",
        "IDX_DATA_DIR": str(tmp_path),
        "IDX_SECRET_KEY": "k" * 50,
        "IDX_CACHE_URL": "locmem",
    }
    result = _idx_python("import django; django.setup()", env, tmp_path)
    assert result.returncode != 0
    assert "cache shared by every worker" in result.stderr
    env["IDX_CACHE_URL"] = ""
    assert _idx_python("import django; django.setup()", env, tmp_path).returncode == 0


def test_anonymous_survey_answers_are_limited_per_address(ratelimits, iga):
    from idx.surveys.models import SurveyResponse
    from tests.surveys.conftest import make_survey

    survey = make_survey(iga)
    client = _client("192.0.2.60")
    answer = {"f.q1": "c2", "f.q2.c1": "on", "f.q3": "5", "f.q4": "42"}
    for _ in range(5):  # submit: 5 per address
        assert client.post("/surveys/homepage/", answer).status_code == 302
    _limited_page(client.post("/surveys/homepage/", answer), 600)
    assert SurveyResponse.objects.filter(survey=survey).count() == 5
    # Another address still answers.
    assert _client("192.0.2.61").post("/surveys/homepage/", answer).status_code == 302


# ---- Redis: one round trip a request ---------------------------------------------------------


@pytest.fixture
def redis_counts(ratelimits):
    """The rate limits counted in a real Redis (a database of the local server kept for this test)."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/12"
    try:
        server = redis.Redis.from_url(url, socket_connect_timeout=1)
        server.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    counting = {
        "BACKEND": "idx.common.cache.TolerantRedisCache",
        "LOCATION": url,
        "KEY_PREFIX": "idx-test",
    }
    from django.conf import settings

    with override_settings(
        CACHES={**settings.CACHES, "ratelimit_redis": counting}, IDX_RATELIMIT_CACHE="ratelimit_redis"
    ):
        yield server
    server.flushdb()


def test_every_bucket_of_a_request_is_counted_in_one_round_trip_to_redis(
    redis_counts, ratelimits, resident, monkeypatch
):
    from redis.connection import Connection

    sent: list[object] = []
    original = Connection.send_packed_command

    def counting_send(self, command, check_health=True):
        sent.append(command)
        return original(self, command, check_health)

    monkeypatch.setattr(Connection, "send_packed_command", counting_send)
    draft = make_draft(resident)
    url = f"/api/v1/applications/{draft.public_id}/submit"
    limits = {
        **ratelimits,
        "api": "100/m",
        "api_account": "100/m",
        "submit": "100/m",
        "submit_account": "2/m",
    }
    with override_settings(IDX_RATELIMITS=limits):
        for attempt in range(2):
            sent.clear()
            response = signed_in(resident).post(
                url, {"declaration_accepted": False}, content_type="application/json"
            )
            assert response.status_code == 422
            if attempt:  # (the first request also opens the connection)
                # api per address and per account, submit per address and per account: one pipeline.
                assert len(sent) == 1, sent
        limited = signed_in(resident).post(
            url, {"declaration_accepted": True}, content_type="application/json"
        )
    assert limited.status_code == 429
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Four counters in Redis, each with an expiry, and no personal data in their names.
    keys = [key.decode() for key in redis_counts.keys("*")]
    assert len(keys) == 4
    assert all(0 < redis_counts.ttl(key) <= 61 for key in keys)
    assert sorted(int(redis_counts.get(key)) for key in keys) == [3, 3, 3, 3]
    assert not any(resident.email in key for key in keys)
