/**
 * Fluent builders for the site agent's unit tests (not used by production code): Nodes, Pods and device reports.
 */
import type { V1Node, V1Pod } from '@kubernetes/client-node';
import { ANNOTATION_DEVICES, LABEL_POOL, LABEL_PRECISIONS } from '../../api/names.ts';
import { acceleratorNodeLabels, VENDOR_INFO, type AcceleratorShape } from '../../api/vendors.ts';
import { simulateReport, type InjectedFaults } from '../devices/simulated.ts';
import type { DeviceReport } from '../devices/types.ts';
import { encodeDeviceAnnotation } from './device-annotation.ts';

export const T0 = '2026-01-01T00:00:00.000Z';

/** NodeBuilder builds a V1Node. */
export class NodeBuilder {
  readonly #node: V1Node;

  constructor(name: string) {
    this.#node = {
      metadata: { name, labels: { 'kubernetes.io/arch': 'amd64' }, annotations: {} },
      spec: {},
      status: {
        capacity: { cpu: '8', memory: '32Gi', pods: '110' },
        allocatable: { cpu: '8', memory: '32Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True' }],
      },
    };
  }

  pool(name: string): this {
    this.#labels()[LABEL_POOL] = name;
    return this;
  }

  label(key: string, value: string): this {
    this.#labels()[key] = value;
    return this;
  }

  arch(a: string): this {
    return this.label('kubernetes.io/arch', a);
  }

  /** resources sets capacity and allocatable (allocatable defaults to capacity). */
  resources(capacity: Record<string, string>, allocatable: Record<string, string> = capacity): this {
    this.#node.status!.capacity = { ...capacity };
    this.#node.status!.allocatable = { ...allocatable };
    return this;
  }

  /** accelerators adds the vendor labels, the precisions label and the extended resource, like a lab node. */
  accelerators(a: AcceleratorShape & { precisions?: readonly string[] }): this {
    Object.assign(this.#labels(), acceleratorNodeLabels(a));
    if (a.precisions !== undefined) this.#labels()[LABEL_PRECISIONS] = a.precisions.join('.');
    const resource = VENDOR_INFO[a.vendor].resourceName;
    this.#node.status!.capacity![resource] = String(a.count);
    this.#node.status!.allocatable![resource] = String(a.count);
    return this;
  }

  allocatable(resource: string, q: string): this {
    this.#node.status!.allocatable![resource] = q;
    return this;
  }

  notReady(): this {
    this.#node.status!.conditions = [{ type: 'Ready', status: 'False' }];
    return this;
  }

  cordoned(): this {
    this.#node.spec!.unschedulable = true;
    return this;
  }

  /** devices sets the device annotation from a report. */
  devices(report: DeviceReport): this {
    this.#node.metadata!.annotations![ANNOTATION_DEVICES] = encodeDeviceAnnotation(report);
    return this;
  }

  annotation(raw: string): this {
    this.#node.metadata!.annotations![ANNOTATION_DEVICES] = raw;
    return this;
  }

  obj(): V1Node {
    return structuredClone(this.#node);
  }

  #labels(): Record<string, string> {
    return this.#node.metadata!.labels!;
  }
}

/** makeNode starts a Node builder. */
export function makeNode(name: string): NodeBuilder {
  return new NodeBuilder(name);
}

/** PodBuilder builds a V1Pod with one container. */
export class PodBuilder {
  readonly #pod: V1Pod;

  constructor(name: string) {
    this.#pod = { metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'main', resources: {} }] }, status: { phase: 'Running' } };
  }

  on(node: string): this {
    this.#pod.spec!.nodeName = node;
    return this;
  }

  phase(p: string): this {
    this.#pod.status!.phase = p;
    return this;
  }

  requests(r: Record<string, string>): this {
    this.#pod.spec!.containers[0]!.resources!.requests = { ...r };
    return this;
  }

  limits(l: Record<string, string>): this {
    this.#pod.spec!.containers[0]!.resources!.limits = { ...l };
    return this;
  }

  container(requests: Record<string, string>): this {
    this.#pod.spec!.containers.push({ name: `c${this.#pod.spec!.containers.length}`, resources: { requests } });
    return this;
  }

  init(requests: Record<string, string>, sidecar = false): this {
    const list = (this.#pod.spec!.initContainers ??= []);
    list.push({ name: `i${list.length}`, resources: { requests }, ...(sidecar ? { restartPolicy: 'Always' } : {}) });
    return this;
  }

  obj(): V1Pod {
    return structuredClone(this.#pod);
  }
}

/** makePod starts a Pod builder. */
export function makePod(name: string): PodBuilder {
  return new PodBuilder(name);
}

/** H100 is a lab-like NVIDIA accelerator shape. */
export const H100: AcceleratorShape & { precisions: readonly string[] } = {
  vendor: 'nvidia',
  model: 'NVIDIA H100 80GB HBM3',
  count: 8,
  memoryGiB: 80,
  precisions: ['fp8', 'bf16'],
};

/** simReport is simulateReport at T0 for a node. */
export function simReport(node: string, shape: AcceleratorShape, faults: InjectedFaults = {}, at = T0): DeviceReport {
  return simulateReport(shape, faults, { observedAt: at, nodeName: node });
}
