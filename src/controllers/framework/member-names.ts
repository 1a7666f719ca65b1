/**
 * Deterministic names of member objects. A repeat of the same placement must hit the same names (that is what
 * makes a restart harmless), and two TrainingJobs must never share one.
 */
import { createHash } from 'node:crypto';

/**
 * MAX_MEMBER_NAME is shorter than a DNS label's 63 characters on purpose: the pods of an Indexed Job get the
 * hostname `<job>-<index>`, which must itself be a DNS label, so room is left for "-" and a ten-digit index.
 */
export const MAX_MEMBER_NAME = 52;
const HASH_LENGTH = 8;

/**
 * memberName is `<name>-<hash8>`, hash8 being the first 8 hex digits of sha256("<namespace>/<name>"). The name part
 * is cut to fit MAX_MEMBER_NAME, dots become dashes (a Service name is a DNS-1035 label), and a name that does not
 * start with a letter gets a `w-` prefix for the same reason. The hash covers the full original name, so two long
 * names sharing a prefix still differ.
 */
export function memberName(namespace: string, name: string): string {
  const hash = createHash('sha256').update(`${namespace}/${name}`).digest('hex').slice(0, HASH_LENGTH);
  let base = name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  if (!/^[a-z]/.test(base)) base = `w-${base}`;
  base = base.slice(0, MAX_MEMBER_NAME - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${base}-${hash}`;
}
