/** Stable hashing of names: the same string gives the same number on every machine and run. */

/** fnv1a is the 32-bit FNV-1a hash of a string's UTF-16 code units. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * spreadMs is `ms` moved by up to ±`fraction` of itself, by a hash of `key`: periodic work of many objects that began
 * together (a thousand jobs created at once) spreads out instead of coming back as one wave, and the same object
 * always gets the same offset.
 */
export function spreadMs(key: string, ms: number, fraction: number): number {
  const unit = fnv1a(key) / 0xffffffff; // 0..1
  return Math.round(ms * (1 - fraction + 2 * fraction * unit));
}
