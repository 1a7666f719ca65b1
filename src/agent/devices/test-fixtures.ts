/**
 * Test helper: the shared device fixtures (../shared/fixtures/devices, next to the repository) are read in place,
 * never copied into the project, so the research report and the tests cannot drift apart.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** FIXTURE_DIR is the shared fixture folder: /work/main/src/agent/devices → /work/shared/fixtures/devices. */
export const FIXTURE_DIR = path.resolve(import.meta.dirname, '../../../../shared/fixtures/devices');

/** fixture returns one fixture file's text. */
export function fixture(name: string): string {
  return readFileSync(path.join(FIXTURE_DIR, name), 'utf8');
}

/** fixtureNames lists the fixture folder. */
export function fixtureNames(): string[] {
  return readdirSync(FIXTURE_DIR).sort();
}

/** OBSERVED_AT is the sample time every parser test passes in. */
export const OBSERVED_AT = '2026-03-01T12:00:00Z';
