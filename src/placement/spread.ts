/**
 * The arithmetic of spreading replicas over ranked sites, apart from what the sites are. Sites come best first; each
 * has the replicas it runs now (kept) and the most it may hold (room: its free capacity and maxReplicasPerSite, or
 * just what it runs when it takes nothing new). Replicas that can stay, stay: only reaching minSites moves any.
 */

/** SpreadSite is one ranked site. */
export interface SpreadSite {
  /** kept is how many replicas run there now (in the variant it will keep). */
  readonly kept: number;
  /** room is the most replicas the site may hold after this decision. */
  readonly room: number;
}

/**
 * spread returns the replicas per site, in the order given:
 * A. while fewer than minSites sites are used, open the best unused site with room; once the total is reached, a
 *    replica moves there from the worst site holding more than one (the only case where a replica restarts);
 * B. scale down: remove from the worst site, sparing a site's last replica while that would drop below minSites;
 * C. scale up: add to the best site with room.
 */
export function spread(sites: readonly SpreadSite[], desired: number, minSites: number): number[] {
  const counts = sites.map((s) => Math.min(s.kept, s.room));
  const total = (): number => counts.reduce((a, b) => a + b, 0);
  const used = (): number => counts.filter((c) => c > 0).length;
  const best = (ok: (i: number) => boolean): number => counts.findIndex((_, i) => ok(i));
  const worst = (ok: (i: number) => boolean): number => {
    for (let i = counts.length - 1; i >= 0; i--) if (ok(i)) return i;
    return -1;
  };
  const room = (i: number): number => sites[i]?.room ?? 0;
  const at = (i: number): number => counts[i] ?? 0;
  const add = (i: number, n: number): void => {
    counts[i] = at(i) + n;
  };

  // A. Reach minSites.
  while (used() < minSites) {
    const open = best((i) => at(i) === 0 && room(i) > 0);
    if (open < 0) break;
    if (total() >= desired) {
      const donor = worst((i) => at(i) > 1);
      if (donor < 0) break;
      add(donor, -1);
    }
    add(open, 1);
  }
  // B. Scale down, worst first.
  while (total() > desired) {
    let victim = worst((i) => at(i) > 1 || (at(i) === 1 && used() > minSites));
    if (victim < 0) victim = worst((i) => at(i) > 0);
    add(victim, -1);
  }
  // C. Scale up, best first.
  while (total() < desired) {
    const grow = best((i) => at(i) < room(i));
    if (grow < 0) break;
    add(grow, 1);
  }
  return counts;
}
