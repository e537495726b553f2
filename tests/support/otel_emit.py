#!/usr/bin/env python3
"""Emits one log record, one span (with a span event) and two metrics through the real
OpenTelemetry Python SDK and its OTLP exporters, then shuts the providers down (which
flushes everything) and exits.

Usage::

    otel_emit.py --protocol http/protobuf --endpoint http://127.0.0.1:4318 --run-id RUN
    otel_emit.py --protocol grpc          --endpoint http://127.0.0.1:4317 --run-id RUN

The endpoint may also come from ``OTEL_EXPORTER_OTLP_ENDPOINT``. For http/protobuf the
per-signal paths ``/v1/logs``, ``/v1/traces`` and ``/v1/metrics`` are appended.

An ``https://`` endpoint uses TLS for both protocols; the SDK then reads the CA to trust
from ``OTEL_EXPORTER_OTLP_CERTIFICATE`` and, for mTLS, its own certificate and key from
``OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`` and ``OTEL_EXPORTER_OTLP_CLIENT_KEY``.

What it sends (the tests assert on exactly this; ``PFX`` is ``probe.python.<protocol>``
with ``/`` replaced by ``_``):

* resource: ``service.name`` = ``tripline-probe-python``, ``service.version`` = ``1.2.3``
* log record: OTLP ``eventName`` = ``PFX.log``, severity INFO, body ``hello from python``
* span ``PFX.span`` (kind INTERNAL) with span event ``PFX.span_event`` (``probe.step`` = 1)
* counter ``PFX.requests`` incremented by 3 and 4 (total 7)
* histogram ``PFX.latency_ms`` recording 5 and 15

Every log record, span and metric point carries the typed attributes ``probe.run_id``
(string, from ``--run-id``), ``probe.count`` (int 42), ``probe.ratio`` (double 0.25),
``probe.flag`` (bool true) and ``probe.text`` (string ``alpha``).

Exit status 1 when any export failed (the SDK itself only logs export errors).
"""

import argparse
import os
import sys

from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExportResult
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricExportResult, PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExportResult
from opentelemetry._logs import SeverityNumber

FAILURES = []


def checked(exporter_class, signal, ok):
    """A subclass of `exporter_class` that records failed exports in FAILURES."""

    class Checked(exporter_class):
        def export(self, *args, **kwargs):
            result = super().export(*args, **kwargs)
            if result != ok:
                FAILURES.append(f"{signal} export failed: {result}")
            return result

    return Checked


def exporters(protocol, endpoint):
    """(log, span, metric) exporters for the protocol."""
    if protocol == "grpc":
        from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
        from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        kw = {"endpoint": endpoint, "insecure": not endpoint.startswith("https://")}
        return (
            checked(OTLPLogExporter, "logs", LogRecordExportResult.SUCCESS)(**kw),
            checked(OTLPSpanExporter, "traces", SpanExportResult.SUCCESS)(**kw),
            checked(OTLPMetricExporter, "metrics", MetricExportResult.SUCCESS)(**kw),
        )
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    base = endpoint.rstrip("/")
    return (
        checked(OTLPLogExporter, "logs", LogRecordExportResult.SUCCESS)(endpoint=f"{base}/v1/logs"),
        checked(OTLPSpanExporter, "traces", SpanExportResult.SUCCESS)(endpoint=f"{base}/v1/traces"),
        checked(OTLPMetricExporter, "metrics", MetricExportResult.SUCCESS)(endpoint=f"{base}/v1/metrics"),
    )


def main():
    parser = argparse.ArgumentParser(description="Emit probe telemetry through the OTel Python SDK.")
    parser.add_argument("--protocol", choices=["http/protobuf", "grpc"], default="http/protobuf")
    parser.add_argument("--endpoint", default=os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT"))
    parser.add_argument("--run-id", required=True, help="value of the probe.run_id attribute")
    args = parser.parse_args()
    if not args.endpoint:
        parser.error("--endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) is required")

    prefix = "probe.python." + args.protocol.replace("/", "_")
    attrs = {"probe.run_id": args.run_id, "probe.count": 42, "probe.ratio": 0.25,
             "probe.flag": True, "probe.text": "alpha"}
    resource = Resource.create({"service.name": "tripline-probe-python", "service.version": "1.2.3"})
    log_exporter, span_exporter, metric_exporter = exporters(args.protocol, args.endpoint)

    logger_provider = LoggerProvider(resource=resource)
    logger_provider.add_log_record_processor(BatchLogRecordProcessor(log_exporter))
    tracer_provider = TracerProvider(resource=resource)
    tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    # A long interval: the one export happens at shutdown.
    reader = PeriodicExportingMetricReader(metric_exporter, export_interval_millis=600_000)
    meter_provider = MeterProvider(resource=resource, metric_readers=[reader])

    logger_provider.get_logger("tripline.probe").emit(
        event_name=f"{prefix}.log", severity_number=SeverityNumber.INFO, severity_text="INFO",
        body="hello from python", attributes=attrs)
    tracer = tracer_provider.get_tracer("tripline.probe")
    with tracer.start_as_current_span(f"{prefix}.span", attributes=attrs) as span:
        span.add_event(f"{prefix}.span_event", attributes={"probe.step": 1, "probe.run_id": args.run_id})
    meter = meter_provider.get_meter("tripline.probe")
    counter = meter.create_counter(f"{prefix}.requests", unit="1")
    counter.add(3, attrs)
    counter.add(4, attrs)
    histogram = meter.create_histogram(f"{prefix}.latency_ms", unit="ms")
    histogram.record(5, attrs)
    histogram.record(15, attrs)

    tracer_provider.shutdown()
    meter_provider.shutdown()
    logger_provider.shutdown()
    if FAILURES:
        sys.exit("otel_emit.py: " + "; ".join(FAILURES))
    print(f"otel_emit.py: sent logs, traces and metrics ({args.protocol}) to {args.endpoint}")


if __name__ == "__main__":
    main()
