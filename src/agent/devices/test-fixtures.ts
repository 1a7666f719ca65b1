/**
 * Test helper: the device fixtures the parser tests read. They live in the repository (test/fixtures/devices, with
 * their provenance in NOTICE.md there), so that the unit tests need nothing outside the repository;
 * scripts/check-device-fixtures.sh compares them with the research folder they were copied from.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** FIXTURE_DIR is the in-repository fixture folder: src/agent/devices → test/fixtures/devices. */
export const FIXTURE_DIR = path.resolve(import.meta.dirname, '../../../test/fixtures/devices');

/** FIXTURE_NOTICE is the provenance note in FIXTURE_DIR; it holds no device output. */
export const FIXTURE_NOTICE = 'NOTICE.md';

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
