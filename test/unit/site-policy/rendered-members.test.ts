/**
 * The site policy (src/agent/site/site-policy.ts) judges what the controllers render. Its own tests use rendered
 * objects pasted as plain JSON, because agent code may not import controllers; this test sits outside the layers and
 * renders the members the real way, so a renderer change that the policy does not understand fails here.
 */
import { describe, expect, it } from 'vitest';
import { checkSitePolicy, DEFAULT_SITE_POLICY, type SitePolicy } from '../../../src/agent/site/site-policy.ts';
import { renderInferenceMembers } from '../../../src/controllers/inference/member-objects.ts';
import { renderMembers } from '../../../src/controllers/training/member-objects.ts';
import { makeTrainingJob, variant } from '../../../src/controllers/training/testing.ts';
import { makeInferenceService } from '../../../src/placement/testing.ts';
import { variant as placementVariant } from '../../../src/placement/testing.ts';

function trainingObjects(): unknown[] {
  const tj = makeTrainingJob('llm').workers(2).variant(variant('h100').nvidia('H100', 8)).obj();
  const m = renderMembers(tj, { site: 'shanghai', variant: 'h100', epoch: 1, pool: 'h100', acceleratorResource: 'nvidia.com/gpu' });
  return [m.namespace, m.service, m.job];
}

function inferenceObjects(): unknown[] {
  const svc = makeInferenceService('chat').variant(placementVariant('gpu').nvidia('A100', 1)).obj();
  const m = renderInferenceMembers(svc, { site: 'beijing', variant: 'gpu', replicas: 3, pool: 'a100' }, 1);
  return [m.namespace, m.service, m.deployment];
}

describe('the site policy on members as the controllers render them', () => {
  it('allows every rendered kind under the default policy', () => {
    expect(checkSitePolicy(DEFAULT_SITE_POLICY, trainingObjects())).toMatchObject({ allowed: true });
    expect(checkSitePolicy(DEFAULT_SITE_POLICY, inferenceObjects())).toMatchObject({ allowed: true });
  });

  it('counts the devices of a rendered gang and of rendered replicas against the limit', () => {
    const tight: SitePolicy = { ...DEFAULT_SITE_POLICY, maxDevicesPerWorkload: 8 };
    const training = checkSitePolicy(tight, trainingObjects());
    expect(training.allowed).toBe(false);
    expect(JSON.stringify(training)).toContain('TooManyDevices');
    expect(JSON.stringify(training)).toContain('16');
    const inference = checkSitePolicy({ ...DEFAULT_SITE_POLICY, maxDevicesPerWorkload: 2 }, inferenceObjects());
    expect(inference.allowed).toBe(false);
    expect(JSON.stringify(inference)).toContain('TooManyDevices');
    expect(checkSitePolicy({ ...DEFAULT_SITE_POLICY, maxDevicesPerWorkload: 3 }, inferenceObjects()).allowed).toBe(true);
  });

  it('refuses a rendered workload outside the allowed namespaces, naming the field', () => {
    const verdict = checkSitePolicy({ ...DEFAULT_SITE_POLICY, namespaces: ['research'] }, trainingObjects());
    expect(verdict.allowed).toBe(false);
    expect(JSON.stringify(verdict)).toContain('NamespaceNotAllowed');
  });
});
