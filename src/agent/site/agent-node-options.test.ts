import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AGENT_NODE_OPTIONS, AGENT_V8_FLAGS, agentNodeOptions, applyAgentV8Flags } from './agent-node-options.ts';

const CHART_DEPLOYMENT = new URL('../../../charts/suanwang-agent/templates/deployment.yaml', import.meta.url);
const allowed = (process as unknown as { allowedNodeEnvironmentFlags: ReadonlySet<string> }).allowedNodeEnvironmentFlags;
const flagName = (option: string): string => option.split('=')[0] ?? option;

describe("the agent's Node.js options", () => {
  it('are the ones the chart sets as NODE_OPTIONS, before the extra environment that may replace them', () => {
    const template = readFileSync(CHART_DEPLOYMENT, 'utf8');
    const m = /- name: NODE_OPTIONS\n\s+value: "([^"]*)"/.exec(template);
    expect(m?.[1]).toBe(AGENT_NODE_OPTIONS.join(' '));
    expect(template.indexOf('name: NODE_OPTIONS')).toBeLessThan(template.indexOf('range $a.extraEnv'));
  });

  it('are options Node accepts in NODE_OPTIONS (V8 flags in general are refused there)', () => {
    for (const option of AGENT_NODE_OPTIONS) expect(allowed.has(flagName(option)), option).toBe(true);
  });
});

describe('an agent run from the TypeScript sources (the lab)', () => {
  const script = new URL('./interner.ts', import.meta.url).pathname;
  const run = (options: readonly string[]) => spawnSync(process.execPath, [...options, script], { encoding: 'utf8' });

  it('takes every option but --jitless, and Node strips its types under them', () => {
    expect(agentNodeOptions(false)).toEqual(AGENT_NODE_OPTIONS);
    expect(agentNodeOptions(true)).toEqual(AGENT_NODE_OPTIONS.filter((o) => o !== '--jitless'));
    const r = run(agentNodeOptions(true));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('could not take --jitless: the stripper is WebAssembly, which --jitless turns off', () => {
    expect(AGENT_NODE_OPTIONS).toContain('--jitless');
    const r = run(AGENT_NODE_OPTIONS);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain('ERR_WEBASSEMBLY_NOT_SUPPORTED');
  });
});

describe("the agent's V8 flags", () => {
  it('are V8 flags this Node knows, which NODE_OPTIONS would refuse (so the agent sets them itself)', () => {
    const known = spawnSync(process.execPath, ['--v8-options'], { encoding: 'utf8' }).stdout;
    for (const flag of AGENT_V8_FLAGS) {
      expect(known, flag).toContain(`\n  ${flagName(flag)} `);
      expect(allowed.has(flagName(flag)), flag).toBe(false);
    }
  });

  it('are all set by applyAgentV8Flags, in order', () => {
    const set: string[] = [];
    applyAgentV8Flags((f) => set.push(f));
    expect(set).toEqual(AGENT_V8_FLAGS);
  });
});
