/**
 * The placement record: what the placement engine made of every candidate site the last time it decided, so that
 * `kubectl get -o yaml` answers "why there?" and "why not here?" without reading operator logs.
 */
import { CandidateVerdict } from '../names.ts';
import { atomicList, dateTime, dns1123Label, int, map, mapList, obj, oneOf, str, type Schema } from './builders.ts';

const CANDIDATE = obj(
  'PlacementCandidate',
  'What placement made of one site.',
  {
    site: dns1123Label('Name of the candidate Site.'),
    verdict: oneOf(
      'Selected: chosen. Feasible: passed every filter but scored lower. Rejected: failed a filter (see reasons).',
      Object.values(CandidateVerdict),
    ),
    variant: str('The variant that fitted best at this site; empty when none fitted.', { maxLength: 63 }),
    score: int('Total score, 0 to 100, of a site that passed every filter; higher is better.', {
      minimum: 0,
      maximum: 100,
    }),
    scores: map(
      'Score per score plugin (price, capacity, health, locality...), each 0 to 100, before weighting.',
      int('Score given by this plugin.', { minimum: 0, maximum: 100 }),
      { maxProperties: 16 },
    ),
    replicas: int('Replicas placed at this site (InferenceService only).', { minimum: 0 }),
    reasons: atomicList(
      'Why the site was rejected, one line per failed filter and variant, sorted (for example "variant h100: needs 16 nvidia.com/gpu, 8 free").',
      str('One reason.', { maxLength: 1024 }),
      { maxItems: 32 },
    ),
  },
  { required: ['site', 'verdict'] },
);

/** PLACEMENT_RECORD is the status.placement of TrainingJob and InferenceService. */
export const PLACEMENT_RECORD: Schema = obj(
  'PlacementRecord',
  'The last placement decision and its explanation: every candidate site, why it was rejected or how it scored.',
  {
    epoch: int(
      'Placement epoch, incremented by every new placement; member objects carry it in the suanwang.io/epoch label so copies from an older epoch can be deleted.',
      { minimum: 0, format: 'int64' },
    ),
    decisionTime: dateTime('When the decision was made.'),
    message: str('One-line summary of the decision, for example "placed on guizhou (variant ascend910b)" or "no site fits".', {
      maxLength: 4096,
    }),
    candidates: mapList('Every site considered, in name order.', CANDIDATE, ['site'], { maxItems: 256 }),
  },
);
