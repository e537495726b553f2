#!/usr/bin/env node
// Emits one log record, one span (with a span event) and two metrics through the real
// OpenTelemetry JavaScript SDK and its OTLP/HTTP JSON exporters, shuts the providers down
// (which flushes everything) and exits.
//
// Usage:
//   node otel_emit.js --endpoint http://127.0.0.1:4318 --run-id RUN
//
// The endpoint may also come from OTEL_EXPORTER_OTLP_ENDPOINT; the per-signal paths
// /v1/logs, /v1/traces and /v1/metrics are appended. The npm packages are loaded from
// $TRIPLINE_NODE_MODULES (default: <repo>/.tools/node/node_modules, where
// scripts/install-test-tools.sh puts them).
//
// What it sends (the tests assert on exactly this):
//   resource: service.name = tripline-probe-js, service.version = 3.2.1
//   log record: attribute event.name = probe.js.log, severity INFO, body "hello from js"
//   span probe.js.span (kind INTERNAL) with span event probe.js.span_event (probe.step = 1)
//   counter probe.js.requests incremented by 3 and 4 (total 7)
//   histogram probe.js.latency_ms recording 5 and 15
// Every log record, span and metric point carries the typed attributes probe.run_id
// (string, from --run-id), probe.count (int 42), probe.ratio (double 0.25), probe.flag
// (bool true) and probe.text (string "alpha").
//
// Exit status 1 when any export failed (the SDK itself only logs export errors).
"use strict";

const path = require("node:path");
const { createRequire } = require("node:module");

const modulesDir = process.env.TRIPLINE_NODE_MODULES
  || path.join(__dirname, "..", "..", ".tools", "node", "node_modules");
const load = createRequire(path.join(modulesDir, "noop.js"));

const { SeverityNumber } = load("@opentelemetry/api-logs");
const { resourceFromAttributes } = load("@opentelemetry/resources");
const { LoggerProvider, BatchLogRecordProcessor } = load("@opentelemetry/sdk-logs");
const { MeterProvider, PeriodicExportingMetricReader } = load("@opentelemetry/sdk-metrics");
const { BasicTracerProvider, BatchSpanProcessor } = load("@opentelemetry/sdk-trace-base");
const { OTLPLogExporter } = load("@opentelemetry/exporter-logs-otlp-http");
const { OTLPMetricExporter } = load("@opentelemetry/exporter-metrics-otlp-http");
const { OTLPTraceExporter } = load("@opentelemetry/exporter-trace-otlp-http");

// ExportResultCode.SUCCESS in @opentelemetry/core (a transitive dependency, not loaded here).
const EXPORT_SUCCESS = 0;
const failures = [];

/** Wraps exporter.export so that a failed export is recorded in `failures`. */
function checked(exporter, signal) {
  const exportFn = exporter.export.bind(exporter);
  exporter.export = (items, resultCallback) => exportFn(items, (result) => {
    if (result.code !== EXPORT_SUCCESS) {
      failures.push(`${signal} export failed: ${result.error || result.code}`);
    }
    resultCallback(result);
  });
  return exporter;
}

function parseArgs(argv) {
  const args = { endpoint: process.env.OTEL_EXPORTER_OTLP_ENDPOINT, runId: undefined };
  for (let i = 0; i < argv.length; i += 2) {
    if (argv[i] === "--endpoint") args.endpoint = argv[i + 1];
    else if (argv[i] === "--run-id") args.runId = argv[i + 1];
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!args.endpoint) throw new Error("--endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) is required");
  if (!args.runId) throw new Error("--run-id is required");
  return args;
}

async function main() {
  const { endpoint, runId } = parseArgs(process.argv.slice(2));
  const base = endpoint.replace(/\/+$/, "");
  const attrs = {
    "probe.run_id": runId, "probe.count": 42, "probe.ratio": 0.25, "probe.flag": true, "probe.text": "alpha",
  };
  const resource = resourceFromAttributes({ "service.name": "tripline-probe-js", "service.version": "3.2.1" });

  const loggerProvider = new LoggerProvider({
    resource,
    processors: [new BatchLogRecordProcessor({
      exporter: checked(new OTLPLogExporter({ url: `${base}/v1/logs` }), "logs"),
    })],
  });
  const tracerProvider = new BasicTracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor(checked(new OTLPTraceExporter({ url: `${base}/v1/traces` }), "traces"))],
  });
  const meterProvider = new MeterProvider({
    resource,
    readers: [new PeriodicExportingMetricReader({
      exporter: checked(new OTLPMetricExporter({ url: `${base}/v1/metrics` }), "metrics"),
      exportIntervalMillis: 600000, // the one export happens at shutdown
    })],
  });

  loggerProvider.getLogger("tripline.probe").emit({
    severityNumber: SeverityNumber.INFO,
    severityText: "INFO",
    body: "hello from js",
    attributes: { "event.name": "probe.js.log", ...attrs },
  });
  const span = tracerProvider.getTracer("tripline.probe").startSpan("probe.js.span", { attributes: attrs });
  span.addEvent("probe.js.span_event", { "probe.step": 1, "probe.run_id": runId });
  span.end();
  const meter = meterProvider.getMeter("tripline.probe");
  const counter = meter.createCounter("probe.js.requests", { unit: "1" });
  counter.add(3, attrs);
  counter.add(4, attrs);
  const histogram = meter.createHistogram("probe.js.latency_ms", { unit: "ms" });
  histogram.record(5, attrs);
  histogram.record(15, attrs);

  await tracerProvider.shutdown();
  await meterProvider.shutdown();
  await loggerProvider.shutdown();
  if (failures.length > 0) {
    console.error(`otel_emit.js: ${failures.join("; ")}`);
    process.exit(1);
  }
  console.log(`otel_emit.js: sent logs, traces and metrics (http/json) to ${endpoint}`);
}

main().catch((err) => {
  console.error(`otel_emit.js: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
