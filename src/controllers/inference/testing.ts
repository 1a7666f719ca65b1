/**
 * Fluent builders for the InferenceService controller's tests. The spec side reuses placement's builders
 * (src/placement/testing.ts), so a service reads the same in both suites:
 *
 *   makeService('chat').replicas(3).minSites(2).variant(variant('gpu').nvidia(undefined, 1)).running('shanghai', 'gpu', 2).obj()
 *   memberDeployment(svc, 'shanghai').variant('gpu').pool('h100').epoch(1).replicas(2).ready(2).obj()
 */
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { Condition, InferenceService, InferenceServiceStatus, Site } from '../../api/generated/types.ts';
import { LABEL_EPOCH, LABEL_POOL } from '../../api/names.ts';
import {
  makeInferenceService as makePlacementService,
  type InferenceServiceBuilder,
  type VariantBuilder,
} from '../../placement/testing.ts';
import { LABEL_VARIANT } from '../framework/member-labels.ts';
import { ANNOTATION_RENDERED, inferenceMemberName, memberLabels, selectorLabels } from './member-objects.ts';

import { labSites, variant } from '../../placement/testing.ts';
export { labSites, makeSite, variant, cpuPool, gpuPool } from '../../placement/testing.ts';

/** ServiceBuilder adds what the controller reads beyond placement: metadata, port, status. */
export class ServiceBuilder {
  readonly #spec: InferenceServiceBuilder;
  readonly #edits: Array<(svc: InferenceService) => void> = [];

  constructor(name: string) {
    this.#spec = makePlacementService(name);
  }

  /** replicas sets replicas.min (what runs, as nothing scales automatically) and optionally max. */
  replicas(min: number, max?: number): this {
    this.#spec.replicas(min, max);
    return this;
  }
  resources(cpu: string, memory: string): this {
    this.#spec.resources(cpu, memory);
    return this;
  }
  variant(v: VariantBuilder): this {
    this.#spec.variant(v);
    return this;
  }
  minSites(n: number): this {
    this.#spec.minSites(n);
    return this;
  }
  maxPerSite(n: number): this {
    this.#spec.maxPerSite(n);
    return this;
  }
  preferredRegions(...r: string[]): this {
    this.#spec.preferredRegions(...r);
    return this;
  }
  namespace(ns: string): this {
    return this.edit((svc) => (svc.metadata.namespace = ns));
  }
  generation(n: number): this {
    return this.edit((svc) => (svc.metadata.generation = n));
  }
  port(p: number): this {
    return this.edit((svc) => (svc.spec.port = p));
  }
  /** status replaces the status. */
  status(s: InferenceServiceStatus): this {
    return this.edit((svc) => (svc.status = structuredClone(s)));
  }
  /** running records `replicas` of `variant` at `site` in status.sites (what a previous pass decided), at epoch 1. */
  running(site: string, variant: string, replicas: number, ready = replicas): this {
    return this.edit((svc) => {
      const s = (svc.status ??= {});
      s.sites = [...(s.sites ?? []), { site, variant, replicas, readyReplicas: ready }].sort((a, b) => (a.site < b.site ? -1 : 1));
      s.placement = { epoch: 1, decisionTime: '2026-01-01T00:00:00Z', message: 'recorded', ...s.placement };
    });
  }
  /** epoch sets status.placement.epoch. */
  epoch(n: number): this {
    return this.edit((svc) => {
      const s = (svc.status ??= {});
      s.placement = { ...s.placement, epoch: n };
    });
  }
  /** edit applies any change to the built object. */
  edit(fn: (svc: InferenceService) => void): this {
    this.#edits.push(fn);
    return this;
  }
  obj(): InferenceService {
    const svc = this.#spec.obj();
    for (const fn of this.#edits) fn(svc);
    return svc;
  }
}

/** makeService starts an InferenceService in namespace default: replicas.min 1 of 8 cpu and 64Gi, no variants yet. */
export function makeService(name = 'svc'): ServiceBuilder {
  return new ServiceBuilder(name);
}

/** MemberDeploymentBuilder builds a member Deployment as a site returns it from a list (no kind, with status). */
export class MemberDeploymentBuilder {
  readonly #d: V1Deployment;

  constructor(svc: InferenceService, site: string) {
    this.#d = {
      metadata: { name: inferenceMemberName(svc), namespace: svc.metadata.namespace ?? 'default', labels: memberLabels(svc, site, 'gpu', 1) },
      spec: { replicas: 1, selector: { matchLabels: selectorLabels(svc) }, template: { spec: { containers: [] } } },
      status: {},
    };
  }

  name(n: string): this {
    this.#d.metadata = { ...this.#d.metadata, name: n };
    return this;
  }
  variant(v: string): this {
    return this.#label(LABEL_VARIANT, v);
  }
  epoch(e: number): this {
    return this.#label(LABEL_EPOCH, String(e));
  }
  pool(p: string): this {
    const template = this.#d.spec?.template ?? {};
    this.#d.spec = { ...this.#d.spec, selector: this.#d.spec?.selector ?? {}, template: { ...template, spec: { containers: [], nodeSelector: { [LABEL_POOL]: p } } } };
    return this;
  }
  replicas(n: number): this {
    this.#d.spec = { ...this.#d.spec, selector: this.#d.spec?.selector ?? {}, template: this.#d.spec?.template ?? {}, replicas: n };
    return this;
  }
  ready(n: number): this {
    this.#d.status = { ...this.#d.status, readyReplicas: n };
    return this;
  }
  /** edit applies any change to the built Deployment. */
  edit(fn: (d: V1Deployment) => void): this {
    fn(this.#d);
    return this;
  }
  /** rendered sets the hash annotation, as if the operator had applied it. */
  rendered(hash: string): this {
    this.#d.metadata = { ...this.#d.metadata, annotations: { [ANNOTATION_RENDERED]: hash } };
    return this;
  }
  obj(): V1Deployment {
    return structuredClone(this.#d);
  }
  #label(key: string, value: string): this {
    this.#d.metadata = { ...this.#d.metadata, labels: { ...this.#d.metadata?.labels, [key]: value } };
    return this;
  }
}

/** memberDeployment starts a member Deployment of `svc` at `site`: variant gpu, epoch 1, 1 replica, none ready. */
export function memberDeployment(svc: InferenceService, site: string): MemberDeploymentBuilder {
  return new MemberDeploymentBuilder(svc, site);
}

/** memberService is a member Service of `svc` at `site` as a site returns it, with a cluster IP. */
export function memberService(svc: InferenceService, site: string, clusterIP = '10.96.0.10', port = 8080, epoch = 1): V1Service {
  return {
    metadata: { name: inferenceMemberName(svc), namespace: svc.metadata.namespace ?? 'default', labels: memberLabels(svc, site, 'gpu', epoch) },
    spec: { type: 'ClusterIP', clusterIP, ports: [{ name: 'http', port }] },
  };
}

/** siteReady is a Site Ready condition of `status`, with `reason`, last changed at `since`. */
export function siteReady(status: Condition['status'], reason: string, since: string): Condition {
  return { type: 'Ready', status, reason, message: '', lastTransitionTime: since };
}

/** withReady returns `site` with its Ready condition replaced. */
export function withReady(site: Site, status: Condition['status'], reason: string, since: string): Site {
  return { ...site, status: { ...site.status, conditions: [siteReady(status, reason, since)] } };
}

/** chatService is 3 replicas over at least 2 sites, at most 2 per site, GPU or CPU; the lab places beijing=2, shanghai=1. */
export function chatService(): InferenceService {
  return makeService('chat')
    .replicas(3)
    .minSites(2)
    .maxPerSite(2)
    .variant(variant('gpu').nvidia(undefined, 1))
    .variant(variant('cpu').cpuOnly('48Gi').resources({ cpu: '32', memory: '64Gi' }))
    .obj();
}

/** LabSiteObjects are the lab's three sites by name, as Site objects. */
export type LabSiteObjects = Record<'shanghai' | 'guizhou' | 'beijing', Site>;

/** labSiteObjects are the lab's sites as Site objects (beijing, guizhou, shanghai), after `edit` changed any of them. */
export function labSiteObjects(edit: (s: LabSiteObjects) => void = () => {}): Site[] {
  const b = labSites();
  const s = { beijing: b.beijing.obj(), guizhou: b.guizhou.obj(), shanghai: b.shanghai.obj() };
  edit(s);
  return Object.values(s);
}
