"""Prometheus metrics: requests, latencies, uploads in progress. One registry per app."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "exhibits_http_requests",
            "HTTP requests answered, by route template, method and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "exhibits_http_request_duration_seconds",
            "Time to answer HTTP requests, by route template and method.",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
            registry=self.registry,
        )
        self.in_flight = Gauge(
            "exhibits_http_requests_in_progress", "HTTP requests being answered.", registry=self.registry
        )
        self.uploads = Gauge(
            "exhibits_uploads_in_progress",
            "Uploads whose bytes are arriving right now (plain and tus).",
            registry=self.registry,
        )
        self.upload_bytes = Counter(
            "exhibits_upload_bytes", "Bytes received in uploads.", registry=self.registry
        )
