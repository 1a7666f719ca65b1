/**
 * Test helper: the device fixtures the parser tests read. They live in the repository (test/fixtures/devices), copied
 * unmodified from the shared research fixtures (../shared/fixtures/devices, next to the repository), so that the unit
 * tests need nothing outside the repository. fixture-coverage.test.ts checks the copies against the shared folder
 * whenever it is present, so the research and the tests cannot drift apart unnoticed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** FIXTURE_DIR is the in-repository fixture folder: src/agent/devices → test/fixtures/devices. */
export const FIXTURE_DIR = path.resolve(import.meta.dirname, '../../../test/fixtures/devices');

/**
 * SHARED_FIXTURE_DIR is the shared research fixture folder the copies come from: /work/main/src/agent/devices →
 * /work/shared/fixtures/devices. It is absent on a clean clone; only the drift check reads it.
 */
export const SHARED_FIXTURE_DIR = path.resolve(import.meta.dirname, '../../../../shared/fixtures/devices');

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
