/**
 * The label selectors a pull-mode port can answer from the operator's own copy of what the agent reported. The
 * controllers select members only by equality (`suanwang.io/workload=x,suanwang.io/namespace=y`), so that is all this
 * reads; anything else is refused, loudly, rather than matched wrongly.
 */
import { ApiError } from '../runtime/errors.ts';

/** EqualityLabelSelector is a parsed `k=v,k=v` selector: every pair must be among an object's labels. */
export type EqualityLabelSelector = ReadonlyArray<readonly [key: string, value: string]>;

/**
 * parseEqualityLabelSelector reads `k=v,k==v` (blanks around terms allowed; empty: everything). Any other term
 * (`k!=v`, `k in (a)`, a bare `k`) throws an ApiError Invalid naming the selector and the term.
 */
export function parseEqualityLabelSelector(selector: string): EqualityLabelSelector {
  if (selector.trim() === '') return [];
  return selector.split(',').map((raw) => {
    const term = raw.trim();
    const match = /^([^=!\s(),]+)\s*==?\s*([^=!\s(),]*)$/.exec(term);
    if (match === null) {
      throw new ApiError({
        code: 'Invalid',
        message: `label selector "${selector}": term "${term}" is not key=value; a pull-mode site is read with equality terms only`,
      });
    }
    return [match[1] ?? '', match[2] ?? ''] as const;
  });
}

/** matchesLabels is true when every pair of `selector` is among `labels`. */
export function matchesLabels(selector: EqualityLabelSelector, labels: Readonly<Record<string, string>> | undefined): boolean {
  return selector.every(([key, value]) => labels?.[key] === value);
}
