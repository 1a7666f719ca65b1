/**
 * Label maps in specs (Site spec.labels, placement.siteSelector) follow the Kubernetes label syntax, checked by CEL
 * because a schema cannot put a pattern on map keys.
 */
import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN, map, str, type Schema } from './builders.ts';

/** labelMap builds a map of label key to label value; field is its name in error messages. */
export function labelMap(description: string, field: string): Schema {
  return map(description, str('Value of the label.', { maxLength: 63 }), {
    maxProperties: 64,
    rules: [
      {
        rule: `self.all(k, size(k) <= 316 && k.matches('${LABEL_KEY_PATTERN}'))`,
        message: `${field} keys must be label keys: an optional DNS prefix and "/", then letters, digits, "-", "_" or "."`,
      },
      {
        rule: `self.all(k, self[k] == '' || self[k].matches('${LABEL_VALUE_PATTERN}'))`,
        message: `${field} values must be label values: letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
      },
    ],
  });
}
