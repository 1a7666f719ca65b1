/**
 * Orderings the engine uses wherever output order is visible. `localeCompare` depends on the ICU data and locale of
 * the process, so two operator replicas could disagree on the order of a status message; code-unit order cannot.
 */

/** compareStrings orders strings by UTF-16 code units. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** sortedUnique returns the distinct strings in code-unit order. */
export function sortedUnique(items: Iterable<string>): string[] {
  return [...new Set(items)].sort(compareStrings);
}
