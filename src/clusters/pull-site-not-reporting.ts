/**
 * The error of reading a pull-mode site's members before its agent has said what the site holds. A new operator knows
 * nothing of the site until the agent's first full report; reading "no members" then would make the controllers
 * place copies beside ones still running, or give back capacity that is in use.
 */
import { ApiError } from '../runtime/errors.ts';

/** SITE_NOT_REPORTING is the `reason` of that error (its code is Unavailable: retrying later is the answer). */
export const SITE_NOT_REPORTING = 'SiteNotReporting';

/** siteNotReporting builds the error for `site`. */
export function siteNotReporting(site: string): ApiError {
  return new ApiError({
    code: 'Unavailable',
    reason: SITE_NOT_REPORTING,
    message: `Unavailable: site ${site} has not reported its member objects since this operator started (pull mode: waiting for its agent's first full report)`,
  });
}

/** isSiteNotReporting is true for the error siteNotReporting builds. */
export function isSiteNotReporting(err: unknown): boolean {
  return err instanceof ApiError && err.reason === SITE_NOT_REPORTING;
}
