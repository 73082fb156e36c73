"""Fixtures for the agent tests: the local OpenAI stub, client factories and the cassette configuration.

Cassettes replay by default (`record_mode: none`): no test reaches a server it did not start. With
`--record-mode=rewrite` (see record_cassettes.py) each cassette test talks to a fresh local stub and
its requests are written with the Authorization header and key-like query parameters removed.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from openai_stub import CASSETTE_BASE_URL, TEST_KEY, StubServer

from agent.llm import OpenAICompatibleLLM

_LOOPBACK = re.compile(r"^http://(?:127\.0\.0\.1|localhost):\d+")
SECRET_HEADERS = ("authorization", "api-key", "x-api-key", "openai-organization", "openai-project", "cookie")


def _normalise_host(request: Any) -> Any:
    """Rewrites the stub's random loopback port to one fixed host, so recordings replay anywhere."""
    request.uri = _LOOPBACK.sub("http://llm-stub.test", request.uri)
    return request


def _clean_response(response: dict[str, Any]) -> dict[str, Any]:
    """Drops cookies (a real server might set some) and the headers that change on every recording."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in ("set-cookie", "date", "server"):
            del headers[name]
    return response


@pytest.fixture
def vcr_config(record_mode: str) -> dict[str, Any]:
    """Returns the cassette settings: replay only unless --record-mode is given, secrets filtered."""
    return {
        "record_mode": record_mode,
        "filter_headers": [*SECRET_HEADERS, "host"],  # the host names the recording's random port
        "filter_query_parameters": ["api-key", "api_key", "key"],
        "before_record_request": _normalise_host,
        "before_record_response": _clean_response,
        "decode_compressed_response": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query"],
    }


@pytest.fixture
def stub() -> Iterator[StubServer]:
    """Returns a running local OpenAI-compatible stub (stalled answers wait 5 s)."""
    with StubServer(stall_s=5.0) as server:
        yield server


@pytest.fixture
def llm_base_url(request: pytest.FixtureRequest, record_mode: str) -> Iterator[str]:
    """Returns the base URL for cassette tests: a fresh stub when recording, a fixed never-resolving host otherwise."""
    if record_mode == "none":
        yield CASSETTE_BASE_URL
        return
    with StubServer(stall_s=5.0) as server:
        yield server.base_url


@pytest.fixture
def sleeps() -> list[float]:
    """Returns the list the clients' injected sleep function appends to (nothing really sleeps)."""
    return []


@pytest.fixture
def sent() -> list[httpx.Request]:
    """Returns the HTTP requests the client sent (captured by an httpx event hook, replay or not)."""
    return []


LLMFactory = Callable[..., OpenAICompatibleLLM]


@pytest.fixture
def make_llm(sleeps: list[float], sent: list[httpx.Request]) -> Iterator[LLMFactory]:
    """Returns a factory of OpenAICompatibleLLM clients for a base URL and a scenario (model name)."""
    # One httpx client per test: building one costs ~30 ms (its TLS context).
    client = httpx.Client(event_hooks={"request": [sent.append]})

    def factory(base_url: str, model: str, **options: Any) -> OpenAICompatibleLLM:
        settings: dict[str, Any] = {
            "api_key": TEST_KEY,
            "timeout_s": 5.0,
            "max_tokens": 256,
            "http_client": client,
            "sleep": sleeps.append,
            "rng": random.Random(7),
            **options,
        }
        return OpenAICompatibleLLM(model=model, base_url=base_url, **settings)

    yield factory
    client.close()
