import cluster from "node:cluster";
import { AggregatorRegistry, Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { KeyStatus } from "../issuer/key-lifecycle.js";

/**
 * Prometheus metrics of `keyless serve` and `keyless emulator` (prom-client), listed with what to alert
 * on in docs/operations.md. Everything here is off the request's critical path: counters and histograms
 * are a map update per request, and what needs a read (signing keys, the database pool) is computed only
 * when Prometheus scrapes.
 *
 * Labels are only ever taken from bounded sets: route patterns (never raw URLs), status codes, problem
 * types, AWS error codes of the emulator, and organization names once a request token has proven its run.
 * Nothing an unauthenticated caller types becomes a label, so nobody can grow the series set at will
 * (https://prometheus.io/docs/practices/naming/#labels).
 */
export interface Metrics {
  readonly registry: Registry;
  /** One token-endpoint answer: `outcome` is `issued` or the problem type of the refusal. */
  mint(outcome: string, organization?: string, alg?: string): void;
  /** One answer of the issuer's HTTP server; `route` is the matched pattern, `seconds` the latency. */
  response(method: string, route: string | undefined, status: number, seconds: number): void;
  /** One emulator answer: `code` is the AWS error code, undefined on success (see `stsOutcome`). */
  stsOutcome(action: string | undefined, code: string | undefined, status: number): void;
  /** Scrape-time sources of the issuer's gauges (signing keys, rotation schedule, pg pool). */
  watchIssuer(source: IssuerGaugeSource): void;
}

export interface IssuerGaugeSource {
  /** Every signing key's state now (a store read, made once per scrape). */
  keyStatuses(): Promise<readonly KeyStatus[]>;
  /** The scheduled rotation interval in ms; 0 = no schedule. */
  readonly rotationIntervalMs: number;
  /** PostgreSQL pool counts; undefined on SQLite (one embedded connection, nothing to pool). */
  readonly pool?: (() => { total: number; idle: number; waiting: number }) | undefined;
  readonly now: () => number;
}

/** The exchanges the emulator counts; other actions are IAM administration, not identity traffic. */
const EXCHANGES = new Set(["AssumeRoleWithWebIdentity", "AssumeRole"]);

// Latency buckets in seconds: a mint is ~0.3-3 ms on a quiet server; up to 2.5 s for a stalled database.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

/**
 * A registry with every metric of keyless, and Node's process metrics (CPU, RSS, event-loop delay, with
 * prom-client's default names). In a node:cluster worker (`clustered`), the registry also answers the
 * primary's aggregation requests, so a scrape of any worker can be answered for all (`exposition`).
 */
export function createMetrics(options: { clustered?: boolean } = {}): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  if (options.clustered && cluster.isWorker) {
    AggregatorRegistry.setRegistries([registry]);
    // Constructing one installs the worker's listener for the primary's requests (prom-client lib/cluster.js).
    new AggregatorRegistry();
  }
  const mints = new Counter({
    name: "keyless_token_mints_total",
    help: "Token-endpoint answers: outcome issued, or the problem type of the refusal (organization and alg empty then).",
    labelNames: ["organization", "alg", "outcome"],
    registers: [registry],
  });
  const tokenLatency = new Histogram({
    name: "keyless_token_request_duration_seconds",
    help: "Latency of GET /runs/:run/token, from the request's arrival to the last byte of the answer.",
    labelNames: ["status"],
    buckets: BUCKETS,
    registers: [registry],
  });
  const adminLatency = new Histogram({
    name: "keyless_admin_request_duration_seconds",
    help: "Latency of the admin API (/api/...), by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    buckets: BUCKETS,
    registers: [registry],
  });
  const exchanges = new Counter({
    name: "keyless_sts_exchanges_total",
    help: "Emulator AssumeRoleWithWebIdentity / AssumeRole answers: outcome issued, refused (4xx) or failed (5xx); reason is the AWS error code.",
    labelNames: ["action", "outcome", "reason"],
    registers: [registry],
  });

  let source: IssuerGaugeSource | undefined;
  // Registered before the key gauges, whose store read at scrape time would otherwise show as pool use.
  new Gauge({
    name: "keyless_database_pool_connections",
    help: "PostgreSQL pool connections by state: total, idle, waiting (clients queued for one). Absent on SQLite.",
    labelNames: ["state"],
    registers: [registry],
    collect() {
      this.reset();
      const counts = source?.pool?.();
      if (!counts) return;
      this.set({ state: "total" }, counts.total);
      this.set({ state: "idle" }, counts.idle);
      this.set({ state: "waiting" }, counts.waiting);
    },
  });

  let statuses: Promise<readonly KeyStatus[]> | undefined;
  // Both key gauges read the same statuses: one store read per scrape, shared.
  const readKeys = () => {
    statuses ??= source!.keyStatuses().finally(() => {
      setImmediate(() => {
        statuses = undefined;
      });
    });
    return statuses;
  };
  new Gauge({
    name: "keyless_signing_key_age_seconds",
    help: "Age of each signing key still published (pending, active, superseded, retiring), by kid, alg and state.",
    labelNames: ["kid", "alg", "state"],
    registers: [registry],
    // Every worker reads the same store: keep one value per key, not the workers' sum.
    aggregator: "max",
    async collect() {
      this.reset();
      if (!source) return;
      const now = source.now();
      for (const s of await readKeys()) {
        if (s.state === "retired") continue;
        this.set({ kid: s.key.kid, alg: s.key.alg, state: s.state }, (now - s.key.createdAt) / 1000);
      }
    },
  });
  new Gauge({
    name: "keyless_signing_key_next_rotation_seconds",
    help: "Seconds until the next key change: a pending key's activation, else the scheduled creation of the next key; negative when overdue; absent when nothing is scheduled.",
    registers: [registry],
    aggregator: "min",
    async collect() {
      this.reset();
      if (!source) return;
      const next = nextRotationAt(await readKeys(), source.rotationIntervalMs);
      if (next !== undefined) this.set((next - source.now()) / 1000);
    },
  });
  return {
    registry,
    mint: (outcome, organization = "", alg = "") => mints.inc({ organization, alg, outcome }),
    response(method, route, status, seconds) {
      if (route === TOKEN_ROUTE) tokenLatency.observe({ status }, seconds);
      else if (route?.startsWith("/api/")) adminLatency.observe({ method, route, status }, seconds);
    },
    stsOutcome(action, code, status) {
      if (!action || !EXCHANGES.has(action)) return;
      const outcome = code === undefined ? "issued" : status >= 500 ? "failed" : "refused";
      exchanges.inc({ action, outcome, reason: code ?? "" });
    },
    watchIssuer(s) {
      source = s;
    },
  };
}

export const TOKEN_ROUTE = "/runs/:run/token";

/**
 * When the key set changes next (ms): the earliest pending key's activation; else, with a schedule, the
 * newest published key's creation plus the interval (when the scheduler adds the next key); else none.
 */
export function nextRotationAt(
  statuses: readonly KeyStatus[],
  rotationIntervalMs: number,
): number | undefined {
  const pending = statuses.filter((s) => s.state === "pending").map((s) => s.key.activateAt);
  if (pending.length > 0) return Math.min(...pending);
  if (rotationIntervalMs <= 0) return undefined;
  const live = statuses.filter((s) => s.state === "active").map((s) => s.key.createdAt);
  if (live.length === 0) return undefined;
  return Math.max(...live) + rotationIntervalMs;
}

/** The Prometheus text format's content type (version 0.0.4), as prom-client writes it. */
export const EXPOSITION_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;

interface MetricsRequest {
  readonly type: "keyless-metrics-request";
  readonly id: number;
}
interface MetricsReply {
  readonly type: "keyless-metrics-reply";
  readonly id: number;
  readonly text?: string;
  readonly error?: string;
}

let nextRequest = 0;
const waiting = new Map<number, { resolve: (text: string) => void; reject: (e: Error) => void }>();
let replyListener = false;

/**
 * The exposition text for a scrape. In a cluster worker, the primary gathers every worker's registry
 * (prom-client's AggregatorRegistry: counters and histograms summed, key gauges by max/min) and the
 * worker that was scraped answers with the total, so one scrape sees the whole server whichever worker
 * the primary handed the connection to.
 */
export function exposition(metrics: Metrics, clustered: boolean): Promise<string> {
  if (!clustered || !cluster.isWorker) return metrics.registry.metrics();
  if (!replyListener) {
    replyListener = true;
    process.on("message", (message: MetricsReply) => {
      if (message?.type !== "keyless-metrics-reply") return;
      const w = waiting.get(message.id);
      if (!w) return;
      waiting.delete(message.id);
      if (message.text !== undefined) w.resolve(message.text);
      else w.reject(new Error(`metrics aggregation failed: ${message.error}`));
    });
  }
  return new Promise((resolve, reject) => {
    const id = nextRequest++;
    waiting.set(id, { resolve, reject });
    process.send!({ type: "keyless-metrics-request", id } satisfies MetricsRequest);
  });
}

/** In the cluster primary: answers workers' scrape requests with every worker's metrics aggregated. */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on("message", (worker, message: MetricsRequest) => {
    if (message?.type !== "keyless-metrics-request") return;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: "keyless-metrics-reply", id: message.id, text } satisfies MetricsReply),
      (e: Error) =>
        worker.send({
          type: "keyless-metrics-reply",
          id: message.id,
          error: e.message,
        } satisfies MetricsReply),
    );
  });
}

/**
 * Whether a scrape may be answered: only from the loopback interface by default. Metrics name
 * organizations and key ids, so they are not for everyone who can reach the token endpoint; an admin API
 * key would do, but handing Prometheus a key that can also create organizations and rotate keys grants
 * far more than reading counters. Loopback keeps it to the host (a node exporter's neighbour, a sidecar
 * or an SSH tunnel); docs/operations.md shows the scrape configuration. The peer address is the socket's,
 * never a forwarded header.
 */
export function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === "::1" || /^(::ffff:)?127\./.test(address);
}
