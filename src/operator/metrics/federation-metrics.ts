/**
 * The federation as the operator sees it, per site: Ready and AgentConnected, seconds since the last heartbeat, devices
 * by pool, vendor and health, allocatable and allocated per resource, and how many agents hold a session. Every value
 * is read at scrape time from the Site cache (the status this operator, or the previous leader, wrote) and the agent
 * sessions, so a gauge cannot drift from what `kubectl get sites` shows, and a deleted Site's series go with it.
 *
 * Labels: site, pool, vendor, health, resource — names an administrator gave Sites and agents reported for pools, never
 * anything a workload names. Quantities are in base units: cpu in cores, memory in bytes, devices as counts.
 */
import { Gauge, type Registry } from 'prom-client';
import type { Site } from '../../api/generated/types.ts';
import { ConditionType } from '../../api/names.ts';
import { parseQuantity } from '../../api/quantity.ts';
import { isTrue } from '../../runtime/conditions.ts';

/** AgentSessionView is what the metrics read of one site's agent session (SiteSessions' SessionView has it). */
export interface AgentSessionView {
  readonly connected: boolean;
  /** lastHeartbeatAt is the operator's clock (ms) at the site's latest heartbeat. */
  readonly lastHeartbeatAt: number | undefined;
}

/** AgentSessionsView is the agent session state the metrics read (SiteSessions is one). */
export interface AgentSessionsView {
  sites(): string[];
  get(site: string): AgentSessionView | undefined;
}

/** FederationMetricsSources are what the federation gauges are read from at each scrape. */
export interface FederationMetricsSources {
  readonly sites: () => readonly Site[];
  /** sessions are this operator's agent sessions; undefined while it does not lead (a standby holds none). */
  readonly sessions: () => AgentSessionsView | undefined;
  /** now is the operator's clock in ms (the one heartbeats are stamped with). */
  readonly now: () => number;
}

/** registerFederationMetrics defines the federation gauges on `registry`. */
export function registerFederationMetrics(registry: Registry, src: FederationMetricsSources): void {
  const registers = [registry];
  new Gauge({
    name: 'suanwang_site_ready',
    help: 'Whether the Site can take new work: 1 when its Ready condition is True, else 0.',
    labelNames: ['site'],
    registers,
    collect() {
      this.reset();
      for (const s of src.sites()) this.set({ site: nameOf(s) }, isTrue(s.status?.conditions, ConditionType.Ready) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'suanwang_site_agent_connected',
    help: "Whether the Site's agent holds a session with the operator: 1 when its AgentConnected condition is True, else 0.",
    labelNames: ['site'],
    registers,
    collect() {
      this.reset();
      for (const s of src.sites()) this.set({ site: nameOf(s) }, isTrue(s.status?.conditions, ConditionType.AgentConnected) ? 1 : 0);
    },
  });
  new Gauge({
    name: 'suanwang_site_heartbeat_age_seconds',
    help: "Seconds since the Site's agent last sent a heartbeat, on the operator's clock; no series before the first.",
    labelNames: ['site'],
    registers,
    collect() {
      this.reset();
      const now = src.now();
      const sessions = src.sessions();
      for (const s of src.sites()) {
        const site = nameOf(s);
        // This operator's own session knows the latest beat; the written time lags it by up to half a lease.
        const at = sessions?.get(site)?.lastHeartbeatAt ?? parseTime(s.status?.lastHeartbeatTime);
        if (at !== undefined) this.set({ site }, Math.max(0, now - at) / 1000);
      }
    },
  });
  new Gauge({
    name: 'suanwang_site_devices',
    help: 'Accelerators per site, pool and vendor, by health: healthy, or unhealthy (which counts unknown health too).',
    labelNames: ['site', 'pool', 'vendor', 'health'],
    registers,
    collect() {
      this.reset();
      for (const s of src.sites()) {
        for (const p of s.status?.nodePools ?? []) {
          const vendor = p.accelerator?.vendor;
          if (vendor === undefined) continue;
          const labels = { site: nameOf(s), pool: p.name, vendor };
          this.set({ ...labels, health: 'healthy' }, p.healthyDevices ?? 0);
          this.set({ ...labels, health: 'unhealthy' }, p.unhealthyDevices ?? 0);
        }
      }
    },
  });
  poolResourceGauge(registry, src, 'suanwang_site_allocatable', 'Allocatable capacity of a pool per resource (cpu in cores, memory in bytes, devices as counts).', 'allocatable');
  poolResourceGauge(registry, src, 'suanwang_site_allocated', 'Resources requested by the pods running in a pool, per resource (cpu in cores, memory in bytes, devices as counts).', 'allocated');
  new Gauge({
    name: 'suanwang_agent_sessions',
    help: 'Site agents holding an open session with this operator (0 on a standby, which serves no agents).',
    registers,
    collect() {
      const sessions = src.sessions();
      this.set(sessions === undefined ? 0 : sessions.sites().filter((site) => sessions.get(site)?.connected === true).length);
    },
  });
}

function poolResourceGauge(registry: Registry, src: FederationMetricsSources, name: string, help: string, field: 'allocatable' | 'allocated'): void {
  new Gauge({
    name,
    help,
    labelNames: ['site', 'pool', 'resource'],
    registers: [registry],
    collect() {
      this.reset();
      for (const s of src.sites()) {
        for (const p of s.status?.nodePools ?? []) {
          for (const [resource, quantity] of Object.entries(p[field] ?? {})) {
            const value = parseQuantity(quantity);
            if (value !== undefined) this.set({ site: nameOf(s), pool: p.name, resource }, value);
          }
        }
      }
    },
  });
}

function nameOf(s: Site): string {
  return s.metadata.name ?? '';
}

function parseTime(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}
