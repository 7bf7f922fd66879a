"""``/healthz``: 200 when the database and the channel layer answer, 503 naming what fails."""

import pytest
from django.db.utils import OperationalError

from keyroom import health

pytestmark = pytest.mark.django_db


def test_healthy_process_answers_200(client):
    """Both parts answer: 200, no login needed, nothing cached."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "channel_layer": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_a_failing_database_is_a_503(client, monkeypatch):
    """A database that does not answer makes the check fail, and says which part."""

    class Down:
        def cursor(self):
            raise OperationalError("the database is down")

        def close(self):
            pass

    monkeypatch.setattr(health, "connection", Down())
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "failing"
    assert response.json()["channel_layer"] == "ok"


def test_a_failing_layer_is_a_503(client, monkeypatch):
    """A channel layer that does not deliver makes the check fail, and says which part."""
    monkeypatch.setattr(health, "get_channel_layer", lambda: None)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "channel_layer": "failing"}
