/**
 * A placement record (api PlacementRecord: every site considered, with its verdict and reasons) as a table, for
 * `what-if` and `why`. Reasons are what the filters wrote ("variant h100: needs 8 nvidia.com/gpu, 4 free"); a site
 * that passed shows its score and the score of each plugin instead.
 */
import type { PlacementCandidate, PlacementRecord } from '../../api/generated/types.ts';
import { textTable } from './text-table.ts';

/** candidatesTable renders every candidate of a record in site order: site, verdict, variant, score, reasons. */
export function candidatesTable(record: PlacementRecord): string[] {
  const candidates = record.candidates ?? [];
  if (candidates.length === 0) return ['(no site was considered: the hub has no Sites)'];
  const rows = candidates.map((c) => [c.site, c.verdict, c.variant ?? '', c.score === undefined ? '' : String(c.score), c.replicas === undefined ? '' : String(c.replicas), candidateDetail(c)]);
  const withReplicas = candidates.some((c) => c.replicas !== undefined);
  const columns = [
    { header: 'SITE' },
    { header: 'VERDICT' },
    { header: 'VARIANT' },
    { header: 'SCORE', numeric: true },
    ...(withReplicas ? [{ header: 'REPLICAS', numeric: true }] : []),
    { header: 'REASONS' },
  ];
  return textTable(columns, withReplicas ? rows : rows.map((r) => [...r.slice(0, 4), r[5] ?? '']));
}

/** candidateDetail is a candidate's reasons, or for one that passed every filter its scores by plugin. */
export function candidateDetail(c: PlacementCandidate): string {
  const reasons = c.reasons ?? [];
  const scores = Object.entries(c.scores ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([plugin, n]) => `${plugin} ${n}`)
    .join(', ');
  const parts = [...reasons, ...(scores === '' ? [] : [`scores: ${scores}`])];
  return parts.join('; ');
}
