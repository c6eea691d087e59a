"""Reading ``/metrics`` as Prometheus does: the text parsed into samples."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families

from tests.support.web.client import Client

Labels = frozenset[tuple[str, str]]


class Samples:
    """The samples of one scrape, by name and labels."""

    def __init__(self, text: str) -> None:
        self.values: dict[tuple[str, Labels], float] = {}
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                self.values[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def get(self, name: str, **labels: str) -> float | None:
        """The value of the sample with exactly these labels, or ``None``."""
        return self.values.get((name, frozenset(labels.items())))

    def names(self) -> set[str]:
        return {name for name, _ in self.values}

    def labelled(self, name: str) -> list[dict[str, str]]:
        """The label sets of every sample of ``name``."""
        return [dict(labels) for found, labels in self.values if found == name]


def scrape(client: Client, token: str | None = None) -> Samples:
    """``GET /metrics`` (with the bearer token, if any), which must answer 200."""
    headers = {"authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Samples(response.text)
