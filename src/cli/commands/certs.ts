/**
 * `suanwang certs`: mints the lab's agent-wire certificates (src/wire/certs.ts) into a folder. This is the
 * composition root of the command: it reads the wall clock and writes to the terminal; the minting itself takes them
 * as arguments.
 */
import { parseArgs } from 'node:util';
import { RESERVED_FILE_NAMES, writeLabCertificates } from '../../wire/certs.ts';
import { parseSiteName, siteSpiffeId, type SiteName } from '../../wire/identity.ts';

const HELP = `Usage: suanwang certs --dir DIR --site NAME [--site NAME ...] [--server-name NAME ...] [--days N]

Mints lab certificates for the site agent wire (mTLS between site agents and the operator), ECDSA P-256:
  DIR/ca.crt, DIR/ca.key            a CA (reused when DIR already holds one, so earlier certificates stay valid)
  DIR/server.crt, DIR/server.key    the operator's serving certificate: DNS localhost, IP 127.0.0.1, plus --server-name
  DIR/<site>.crt, DIR/<site>.key    one client certificate per --site, URI SAN spiffe://suanwang.io/site/<site>

Options:
  --dir DIR            folder to write (created when missing)
  --site NAME          a site name (DNS-1123 label); repeat for several sites
  --server-name NAME   an extra DNS name or IP address for the operator's certificate; repeatable
  --days N             validity in days (default 365)
  -h, --help           show this help

For the lab only. Real deployments bring certificates from their own PKI (cert-manager, SPIRE, a corporate CA): the
operator needs a serving certificate and the CA bundle that signs agent certificates; each agent needs a client
certificate whose URI SAN is spiffe://suanwang.io/site/<site> (or DNS SAN <site>.site.suanwang.io) and the CA bundle
that signs the operator's certificate.`;

/** CertsIo is where the command writes and what time it is; tests replace it. */
export interface CertsIo {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
  readonly now: () => Date;
}

const defaultIo: CertsIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
  now: () => new Date(),
};

/** certsCommand runs `suanwang certs`; returns the exit code (0 ok, 1 failed, 2 usage error). */
export async function certsCommand(argv: string[], io: CertsIo = defaultIo): Promise<number> {
  let values: { dir?: string | undefined; site?: string[] | undefined; 'server-name'?: string[] | undefined; days?: string | undefined; help?: boolean | undefined };
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        dir: { type: 'string' },
        site: { type: 'string', multiple: true },
        'server-name': { type: 'string', multiple: true },
        days: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err: unknown) {
    io.err(`certs: ${err instanceof Error ? err.message : String(err)}`);
    io.err('Run `suanwang certs --help` for usage.');
    return 2;
  }
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const usage = (msg: string): number => {
    io.err(`certs: ${msg}`);
    io.err('Run `suanwang certs --help` for usage.');
    return 2;
  };
  if (!values.dir) return usage('--dir is required');
  const rawSites = values.site ?? [];
  if (rawSites.length === 0) return usage('at least one --site is required');
  const sites: SiteName[] = [];
  for (const raw of rawSites) {
    const site = parseSiteName(raw);
    if (!site) return usage(`site name ${JSON.stringify(raw)} is not a DNS-1123 label (lower-case letters, digits, '-')`);
    if (RESERVED_FILE_NAMES.includes(site)) return usage(`site name ${site} is reserved`);
    if (!sites.includes(site)) sites.push(site);
  }
  const days = values.days === undefined ? 365 : Number(values.days);
  if (!Number.isInteger(days) || days < 1) return usage(`--days must be a positive integer, got ${JSON.stringify(values.days)}`);

  try {
    const result = await writeLabCertificates(values.dir, { sites, serverNames: values['server-name'] ?? [], now: io.now(), days });
    io.out(result.reusedCa ? `Reused the CA in ${values.dir}.` : `Created a new CA in ${values.dir}.`);
    for (const f of result.files) io.out(`  wrote ${f}`);
    for (const s of sites) io.out(`  site ${s}: ${siteSpiffeId(s)}`);
    return 0;
  } catch (err: unknown) {
    io.err(`certs: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
