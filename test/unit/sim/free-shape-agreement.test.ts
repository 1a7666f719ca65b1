import { describe, expect, it } from 'vitest';
import { freeShape } from '../../../src/agent/site/free-shape.ts';
import { parseQuantity } from '../../../src/api/quantity.ts';
import { poolShape } from '../../../src/api/free-shape.ts';

// A fixed-seed generator: the same pools every run.
let seed = 7;
const rand = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

describe("the simulator's free shape is the agent's", () => {
  for (const [label, nodes, devices, maxBuckets] of [
    ['a small GPU pool', 12, 8, 32],
    ['a large GPU pool, coarse levels', 400, 8, 32],
    ['a CPU pool', 60, 0, 32],
    ['device ranges (few buckets)', 200, 64, 4],
  ] as const) {
    it(`on ${label}`, () => {
      for (let round = 0; round < 20; round++) {
        const free = Array.from({ length: nodes }, () => ({
          devices: devices === 0 ? 0 : Math.floor(rand() * (devices + 1)),
          cpuMilli: Math.floor(rand() * 96) * 1000 + (rand() < 0.3 ? 500 : 0),
          memoryBytes: Math.floor(rand() * 512) * 2 ** 30,
        }));
        const agent = freeShape(free, devices > 0, maxBuckets).map((b) => ({ nodes: b.nodes, devices: b.devices, cpuMilli: Math.round((parseQuantity(b.cpu ?? '') ?? -1) * 1000), memoryBytes: parseQuantity(b.memory ?? '') }));
        expect(poolShape(free, devices > 0, maxBuckets)).toEqual(agent);
      }
    });
  }
});
