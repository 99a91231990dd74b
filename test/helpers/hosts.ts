/** Receiver hosts for tests of delivery: a registry on the test's clock and the policies the node's options make. */
import type { HostClock, HostPolicy } from '../../nodes/core/outbound/host';
import { HostRegistry } from '../../nodes/core/outbound/host';

/** Concurrency 16, adaptive, Max Retry-After 60 s, no circuit breaker (Outage Budget 0). */
export const NO_BREAKER: HostPolicy = { ceiling: 16, adaptive: true, maxPauseMs: 60_000, outageBudgetMs: 0 };

/** The node's defaults: Concurrency 100, adaptive, Max Retry-After 60 s, Outage Budget 30 s. */
export const DEFAULT_POLICY: HostPolicy = { ceiling: 100, adaptive: true, maxPauseMs: 60_000, outageBudgetMs: 30_000 };

export function hostsOn(clock: HostClock): HostRegistry {
	return new HostRegistry(clock);
}
