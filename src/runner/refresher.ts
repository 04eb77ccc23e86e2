import type { Clock } from "../lib/clock.js";
import type { AwsCredentials } from "./credentials.js";

/**
 * Keeps one set of credentials fresh for as long as a job runs. `obtain` does the whole exchange
 * (fresh token → AssumeRoleWithWebIdentity → chain hops) and is called again well before expiry: when
 * less than half the session (at most 20 minutes) remains. Twenty minutes is past the SDKs' own
 * advisory refresh window (botocore and the JS SDK start refreshing 15 minutes before expiry; Go at
 * 10), so a client that asks early always gets credentials it will not immediately want to replace.
 *
 * A failed refresh keeps serving the last good credentials while they are valid and retries with
 * backoff; only credentials past their expiration are withheld.
 */
export class CredentialRefresher {
  private current: AwsCredentials | undefined;
  private issuedAt = 0;
  private inflight: Promise<AwsCredentials> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private failures = 0;
  private stopped = false;
  lastError: Error | undefined;

  constructor(
    private readonly obtain: () => Promise<AwsCredentials>,
    private readonly clock: Clock,
    private readonly onRefresh: (credentials: AwsCredentials) => void = () => {},
    private readonly onError: (error: Error) => void = () => {},
  ) {}

  /** The first exchange: errors propagate, so a job never starts without credentials. */
  async start(): Promise<AwsCredentials> {
    const credentials = await this.refresh();
    this.schedule();
    return credentials;
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  /** Current credentials, refreshed first if they are due (or gone). */
  async get(): Promise<AwsCredentials> {
    if (this.current === undefined || this.clock() >= this.current.expiration - 5_000) return this.refresh();
    if (this.isDue()) void this.refresh().catch(() => {});
    return this.current;
  }

  refreshAt(): number {
    if (!this.current) return this.clock();
    const lifetime = this.current.expiration - this.issuedAt;
    return this.current.expiration - Math.min(lifetime / 2, 20 * 60_000);
  }

  private isDue(): boolean {
    return this.clock() >= this.refreshAt();
  }

  private refresh(): Promise<AwsCredentials> {
    if (!this.inflight) {
      this.inflight = this.obtain()
        .then((credentials) => {
          this.current = credentials;
          this.issuedAt = this.clock();
          this.failures = 0;
          this.lastError = undefined;
          this.onRefresh(credentials);
          return credentials;
        })
        .catch((error: Error) => {
          this.failures++;
          this.lastError = error;
          this.onError(error);
          throw error;
        })
        .finally(() => {
          this.inflight = undefined;
        });
    }
    return this.inflight;
  }

  private schedule(): void {
    if (this.stopped) return;
    const backoff = this.failures > 0 ? Math.min(60_000, 1_000 * 2 ** (this.failures - 1)) : 0;
    const delay = Math.max(backoff, this.refreshAt() - this.clock(), 250);
    this.timer = setTimeout(() => {
      this.refresh()
        .catch(() => {})
        .finally(() => this.schedule());
    }, delay);
    this.timer.unref();
  }
}
