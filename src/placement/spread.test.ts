import { describe, expect, it } from 'vitest';
import { spread, type SpreadSite } from './spread.ts';

interface Case {
  name: string;
  /** sites best first, as [kept, room]. */
  sites: Array<[number, number]>;
  desired: number;
  minSites: number;
  want: number[];
}

const cases: Case[] = [
  { name: 'fill the best site first', sites: [[0, 5], [0, 5]], desired: 4, minSites: 1, want: [4, 0] },
  { name: 'overflow to the next', sites: [[0, 2], [0, 5]], desired: 4, minSites: 1, want: [2, 2] },
  { name: 'minSites opens sites best first', sites: [[0, 9], [0, 9], [0, 9]], desired: 4, minSites: 3, want: [2, 1, 1] },
  { name: 'not enough room: short', sites: [[0, 1], [0, 2]], desired: 5, minSites: 1, want: [1, 2] },
  { name: 'minSites impossible: as many as have room', sites: [[0, 9], [0, 0]], desired: 2, minSites: 2, want: [2, 0] },
  { name: 'scale up keeps what runs', sites: [[0, 9], [3, 9]], desired: 5, minSites: 1, want: [2, 3] },
  { name: 'scale down from the worst first', sites: [[2, 9], [2, 9], [2, 9]], desired: 3, minSites: 1, want: [2, 1, 0] },
  { name: 'scale down spares last replicas needed for minSites', sites: [[2, 9], [2, 9], [2, 9]], desired: 3, minSites: 3, want: [1, 1, 1] },
  { name: 'reaching minSites moves one replica from the worst crowded site', sites: [[2, 9], [2, 9], [0, 9]], desired: 4, minSites: 3, want: [2, 1, 1] },
  { name: 'kept above room is cut to room', sites: [[5, 2], [0, 9]], desired: 5, minSites: 1, want: [2, 3] },
  { name: 'a frozen site (room = kept) grows no further', sites: [[0, 1], [2, 2]], desired: 5, minSites: 1, want: [1, 2] },
];

describe('spread', () => {
  it.each(cases)('$name', (c) => {
    const sites: SpreadSite[] = c.sites.map(([kept, room]) => ({ kept, room }));
    expect(spread(sites, c.desired, c.minSites)).toEqual(c.want);
  });
});
