/**
 * The --site flag's check, shared by the commands that take a site's name (agent, certs): the name is a DNS-1123
 * label, as on the hub's Site and in the site's client certificate.
 */
import { parseSiteName, type SiteName } from '../wire/identity.ts';
import { CliError } from './cli-error.ts';

/** parseSiteFlag returns raw as a SiteName; throws CliError (exit 2) naming the flag when it is not a DNS-1123 label. */
export function parseSiteFlag(raw: string, flag = '--site'): SiteName {
  const site = parseSiteName(raw);
  if (site === undefined) throw new CliError(`${flag} ${JSON.stringify(raw)} is not a DNS-1123 label (lower-case letters, digits, '-')`, 2);
  return site;
}
