/**
 * How amounts appear in explanation text. Reasons are read by people in `kubectl describe` and compared byte for
 * byte by the controller (an unchanged message must not cause a status write), so every number has one rendering.
 */
import { formatBytes, formatCpu } from '../api/quantity.ts';

/**
 * formatNumber renders a count or price with at most two decimals and no trailing zeros. Numbers from 1e15 up have no
 * decimals a double can hold, and scaling them by 100 could overflow to Infinity: they are written as they are.
 */
export function formatNumber(n: number): string {
  return Math.abs(n) >= 1e15 ? String(n) : String(Math.round(n * 100) / 100);
}

/** formatAmount renders an amount of a resource: memory in binary units, cpu as kubectl does, devices as counts. */
export function formatAmount(resource: string, amount: number): string {
  if (resource === 'memory') return formatBytes(amount);
  if (resource === 'cpu') return formatCpu(Math.round(amount * 1000) / 1000);
  return formatNumber(amount);
}
