"""The deployment files say what docs/deploying.md says: replicas point at Redis and are
health-checked on /healthz; the image runs as a non-root user with a health check."""
import yaml

from helpers import ROOT


def test_the_compose_file_runs_replicas_on_one_redis_with_health_checks():
    doc = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text())
    services = doc["services"]
    gateways = {name: s for name, s in services.items() if name.startswith("gateway")}
    assert len(gateways) >= 3 and "redis" in services
    for name, s in gateways.items():
        assert s["environment"]["POLICYLANG_STATE_URL"] == "redis://redis:6379/0", name
        assert "redis" in s["depends_on"]
        assert "/healthz" in " ".join(s["healthcheck"]["test"])
        assert s["build"] == ".."
    ports = [p for s in gateways.values() for p in s["ports"]]
    assert len(set(ports)) == len(ports)          # each replica published on its own port


def test_the_image_runs_unprivileged_with_a_health_check():
    text = (ROOT / "Dockerfile").read_text()
    assert "FROM python:3.11-slim" in text
    assert "\nUSER policylang\n" in text and "useradd" in text
    assert "HEALTHCHECK" in text and "/healthz" in text
    assert "'.[gateway,shared]'" in text
    assert '"--host", "0.0.0.0"' in text
