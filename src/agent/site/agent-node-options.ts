/**
 * How the site agent's Node.js and V8 are sized. The agent is a small, long-lived process whose live heap holds a few
 * tens of MiB; V8's defaults are sized for throughput instead (bench/agent-footprint.bench.ts measures each).
 *
 * AGENT_NODE_OPTIONS go on Node's command line: the chart passes them as NODE_OPTIONS (charts/suanwang-agent,
 * templates/deployment.yaml), the lab on the agent's command line (src/lab/federation.ts).
 * - `--max-semi-space-size=1`: the young generation's two semi-spaces grow to 16 MiB each by default and stay
 *   resident once touched; 1 MiB each costs a few more, short scavenges (about 9 MiB less resident, idle or busy);
 * - `--v8-pool-size=1`: one V8 worker thread instead of one per core; each thread keeps its own malloc arena (about
 *   8 MiB less resident), and the agent's garbage collections are small;
 * - `--expose-gc`: lets the agent ask for the memory-reducing collection that returns V8's pooled pages
 *   (heap-release.ts);
 * - `--jitless`: V8 interprets and never compiles to machine code, so neither its optimizing compilers' code (pages of
 *   the node binary that stay resident once run) nor their working memory is ever touched: about 10 MiB less resident
 *   idle and 30 MiB less watching 1,000 nodes and 10,000 pods, for the same CPU there (the agent's time goes to JSON,
 *   TLS and garbage collection, which are native; its first full sync takes about a quarter longer). Nothing the agent
 *   runs needs WebAssembly, which --jitless turns off, and no memory is ever writable and executable at once. Node's
 *   TypeScript stripper is WebAssembly, though, so an agent run from the sources (the lab's) goes without it
 *   (agentNodeOptions); the image and the chart run compiled JavaScript.
 *
 * AGENT_V8_FLAGS are V8 flags that Node refuses in NODE_OPTIONS, so the agent sets them itself as it starts, before
 * its caches fill (applyAgentV8Flags):
 * - `--optimize-for-size`: V8 grows the old generation by a smaller factor and collects it sooner, so the garbage of
 *   every pool rebuild (a few MiB each, one per burst of pod changes) does not pile up between major collections. At
 *   1,000 nodes and 10,000 pods with pods churning, about 50–80 MiB less resident, for some more CPU in collections.
 */
import { setFlagsFromString } from 'node:v8';

/** AGENT_NODE_OPTIONS are the agent's Node options where it runs compiled JavaScript, as in the image (module comment). */
export const AGENT_NODE_OPTIONS: readonly string[] = ['--max-semi-space-size=1', '--v8-pool-size=1', '--expose-gc', '--jitless'];

/** NEEDS_COMPILED_JS are the options an agent run from the TypeScript sources cannot take (module comment). */
const NEEDS_COMPILED_JS: ReadonlySet<string> = new Set(['--jitless']);

/** agentNodeOptions are AGENT_NODE_OPTIONS for an agent run from its sources (runsSources) or compiled. */
export function agentNodeOptions(runsSources: boolean): readonly string[] {
  return runsSources ? AGENT_NODE_OPTIONS.filter((o) => !NEEDS_COMPILED_JS.has(o)) : AGENT_NODE_OPTIONS;
}

/** AGENT_V8_FLAGS are the V8 flags the agent sets at its start (module comment). */
export const AGENT_V8_FLAGS: readonly string[] = ['--optimize-for-size'];

/** applyAgentV8Flags sets AGENT_V8_FLAGS in this process; call it once, first thing in the agent command. */
export function applyAgentV8Flags(set: (flag: string) => void = setFlagsFromString): void {
  for (const flag of AGENT_V8_FLAGS) set(flag);
}
