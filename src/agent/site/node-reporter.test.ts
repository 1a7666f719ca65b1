import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../runtime/clock.ts';
import { flush } from '../../runtime/testing.ts';
import type { InjectedFaults } from '../devices/simulated.ts';
import { decodeDeviceAnnotation } from './device-annotation.ts';
import { NodeReporter, type NodeConditionPatch, type NodeDeviceState, type NodeWriter, type ReportTarget } from './node-reporter.ts';
import { H100, simReport } from './testing.ts';

/** FakeNodes is a NodeWriter over an in-memory set of Nodes; it records writes. */
class FakeNodes implements NodeWriter {
  readonly state = new Map<string, { annotation?: string; condition?: NodeConditionPatch }>();
  readonly writes: string[] = [];
  failReads = new Set<string>();

  constructor(...nodes: string[]) {
    for (const n of nodes) this.state.set(n, {});
  }

  async read(node: string): Promise<NodeDeviceState> {
    const s = this.state.get(node);
    if (s === undefined || this.failReads.has(node)) throw new Error(`nodes "${node}" not found`);
    return { ...s };
  }

  async writeAnnotation(node: string, value: string): Promise<void> {
    this.writes.push(`annotation ${node}`);
    this.state.set(node, { ...this.state.get(node), annotation: value });
  }

  async writeCondition(node: string, condition: NodeConditionPatch): Promise<void> {
    this.writes.push(`condition ${node}`);
    this.state.set(node, { ...this.state.get(node), condition });
  }

  /** take returns the writes since the last call. */
  take(): string[] {
    return this.writes.splice(0);
  }
}

function simTarget(node: string, faults: () => InjectedFaults): ReportTarget {
  return { node, collect: async (at) => simReport(node, H100, faults(), at) };
}

function setup(nodes: string[] = ['n1']) {
  const clock = new FakeClock(Date.parse('2026-01-01T00:00:00Z'));
  const writer = new FakeNodes(...nodes);
  const faults = new Map<string, InjectedFaults>();
  const targets = nodes.map((n) => simTarget(n, () => faults.get(n) ?? {}));
  const reporter = new NodeReporter({ targets: () => targets, writer, clock, logger: pino({ level: 'silent' }), intervalMs: 2000 });
  return { clock, writer, faults, reporter };
}

describe('NodeReporter', () => {
  it('writes annotation and condition once, then the condition only when health changes', async () => {
    const { clock, writer, faults, reporter } = setup();
    await reporter.runRound();
    expect(writer.take()).toEqual(['annotation n1', 'condition n1']);
    expect(writer.state.get('n1')?.condition).toMatchObject({ type: 'AcceleratorHealthy', status: 'True', reason: 'AllDevicesHealthy' });

    clock.advance(60_000); // the sample time moves on; nothing else changes: only the stamp is refreshed
    await reporter.runRound();
    expect(writer.take()).toEqual(['annotation n1']);

    faults.set('n1', { xids: [{ device: 2, xid: 79 }] });
    clock.advance(2000);
    await reporter.runRound();
    expect(writer.take()).toEqual(['annotation n1', 'condition n1']);
    const s = writer.state.get('n1');
    expect(decodeDeviceAnnotation(s?.annotation)?.devices[2]?.health).toBe('Unhealthy');
    expect(s?.condition).toMatchObject({ status: 'False', reason: 'DevicesUnhealthy', lastTransitionTime: '2026-01-01T00:01:02.000Z' });
  });

  it('stamps every round with the time of its sample, keeping at while the state holds', async () => {
    const { clock, writer, faults, reporter } = setup();
    await reporter.runRound();
    clock.advance(30_000);
    await reporter.runRound();
    const steady = decodeDeviceAnnotation(writer.state.get('n1')?.annotation);
    expect([steady?.at, steady?.seen]).toEqual(['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:30.000Z']);

    faults.set('n1', { xids: [{ device: 1, xid: 79 }] });
    clock.advance(30_000);
    await reporter.runRound();
    const changed = decodeDeviceAnnotation(writer.state.get('n1')?.annotation);
    expect([changed?.at, changed?.seen]).toEqual(['2026-01-01T00:01:00.000Z', '2026-01-01T00:01:00.000Z']);
  });

  it('keeps lastTransitionTime while the status stays and moves it when the status changes', async () => {
    const { clock, writer, faults, reporter } = setup();
    faults.set('n1', { xids: [{ device: 2, xid: 79 }] });
    await reporter.runRound();
    const first = writer.state.get('n1')?.condition?.lastTransitionTime;

    faults.set('n1', { xids: [{ device: 2, xid: 79 }, { device: 5, xid: 79 }] });
    clock.advance(10_000);
    await reporter.runRound();
    const second = writer.state.get('n1')?.condition;
    expect(second?.status).toBe('False');
    expect(second?.message).toContain('2 of 8 devices unhealthy');
    expect(second?.lastTransitionTime).toBe(first);
    expect(second?.lastHeartbeatTime).toBe('2026-01-01T00:00:10.000Z');

    faults.delete('n1');
    clock.advance(10_000);
    await reporter.runRound();
    expect(writer.state.get('n1')?.condition).toMatchObject({ status: 'True', lastTransitionTime: '2026-01-01T00:00:20.000Z' });
  });

  it('puts back a condition another writer dropped, without rewriting the annotation', async () => {
    const { writer, reporter } = setup();
    await reporter.runRound();
    writer.take();
    const { annotation } = writer.state.get('n1') ?? {};
    writer.state.set('n1', annotation === undefined ? {} : { annotation }); // e.g. a JSON merge patch of conditions
    await reporter.runRound();
    expect(writer.take()).toEqual(['condition n1']);
  });

  it('rewrites an annotation that does not decode', async () => {
    const { writer, reporter } = setup();
    await reporter.runRound();
    writer.take();
    writer.state.set('n1', { ...writer.state.get('n1'), annotation: 'garbage' });
    await reporter.runRound();
    expect(writer.take()).toEqual(['annotation n1']);
  });

  it('reports a blind provider as Unknown', async () => {
    const { writer, faults, reporter } = setup();
    faults.set('n1', { unavailable: 'nvidia-smi: not found' });
    await reporter.runRound();
    expect(writer.state.get('n1')?.condition).toMatchObject({ status: 'Unknown', reason: 'ProviderUnknown' });
  });

  it('carries on with the other nodes when one fails, and retries it next round', async () => {
    const { writer, faults, reporter } = setup(['n1', 'n2', 'n3']);
    writer.failReads.add('n2');
    faults.set('n3', { xids: [{ device: 9, xid: 79 }] }); // a device the node lacks: simulateReport throws
    const outcomes = await reporter.runRound();
    expect(outcomes.map((o) => [o.node, o.error === undefined])).toEqual([
      ['n1', true],
      ['n2', false],
      ['n3', false],
    ]);
    expect(writer.take()).toEqual(['annotation n1', 'condition n1']);
    writer.failReads.clear();
    faults.delete('n3');
    await reporter.runRound();
    expect(writer.take().sort()).toEqual(['annotation n2', 'annotation n3', 'condition n2', 'condition n3']);
  });

  it('runs a round at start and then one per interval until stopped', async () => {
    const { clock, writer, faults, reporter } = setup();
    reporter.start();
    clock.advance(0);
    await flush();
    expect(writer.take()).toEqual(['annotation n1', 'condition n1']);
    faults.set('n1', { eccUncorrectable: [{ device: 0, count: 2 }] });
    clock.advance(1999);
    await flush();
    expect(writer.take()).toEqual([]);
    clock.advance(1);
    await flush();
    expect(writer.take()).toEqual(['annotation n1', 'condition n1']);
    await reporter.stop();
    expect(clock.pending()).toBe(0);
    faults.delete('n1');
    clock.advance(10_000);
    await flush();
    expect(writer.take()).toEqual([]);
  });
});
