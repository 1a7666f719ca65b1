/**
 * `suanwang certs`: mints the lab's agent-wire certificates (src/wire/certs.ts) into a folder. This is the
 * composition root of the command: it reads the wall clock and writes to the terminal; the minting itself takes them
 * as arguments.
 */
import { RESERVED_FILE_NAMES, writeLabCertificates } from '../../wire/certs.ts';
import { siteSpiffeId, type SiteName } from '../../wire/identity.ts';
import { CliError, reportCliError } from '../cli-error.ts';
import { usageText } from '../flag-usage.ts';
import { defineCommand, parseCommandLine } from '../flags.ts';
import { parseSiteFlag } from '../site-flag.ts';

const CERTS = defineCommand({
  name: 'certs',
  usage: 'suanwang certs --dir DIR --site NAME [--site NAME ...] [--server-name NAME ...] [--days N]',
  description: `Mints lab certificates for the site agent wire (mTLS between site agents and the operator), ECDSA P-256:
  DIR/ca.crt, DIR/ca.key            a CA (reused when DIR already holds one, so earlier certificates stay valid)
  DIR/server.crt, DIR/server.key    the operator's serving certificate: DNS localhost, IP 127.0.0.1, plus --server-name
  DIR/<site>.crt, DIR/<site>.key    one client certificate per --site, URI SAN spiffe://suanwang.io/site/<site>`,
  flags: {
    dir: { type: 'string', value: 'DIR', required: true, help: 'folder to write (created when missing)' },
    site: { type: 'repeated', value: 'NAME', required: true, parse: parseSiteFlag, help: 'a site name (DNS-1123 label); each gets a client certificate' },
    'server-name': { type: 'repeated', value: 'NAME', help: "an extra DNS name or IP address for the operator's certificate" },
    days: { type: 'int', value: 'N', min: 1, default: 365, help: 'validity in days' },
  },
  footer: `For the lab only. Real deployments bring certificates from their own PKI (cert-manager, SPIRE, a corporate CA): the
operator needs a serving certificate and the CA bundle that signs agent certificates; each agent needs a client
certificate whose URI SAN is spiffe://suanwang.io/site/<site> (or DNS SAN <site>.site.suanwang.io) and the CA bundle
that signs the operator's certificate.`,
});

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
  let values;
  const sites: SiteName[] = [];
  try {
    const parsed = parseCommandLine(CERTS, argv);
    if (parsed === 'help') {
      io.out(usageText(CERTS));
      return 0;
    }
    values = parsed.values;
    for (const site of values.site) {
      if (RESERVED_FILE_NAMES.includes(site)) throw new CliError(`--site ${site} is reserved: its files would clash with ${site}.crt and ${site}.key`, 2);
      if (!sites.includes(site)) sites.push(site);
    }
  } catch (err: unknown) {
    if (err instanceof CliError) return reportCliError(CERTS.name, err, io.err);
    throw err;
  }

  try {
    const result = await writeLabCertificates(values.dir, { sites, serverNames: values['server-name'], now: io.now(), days: values.days });
    io.out(result.reusedCa ? `Reused the CA in ${values.dir}.` : `Created a new CA in ${values.dir}.`);
    for (const f of result.files) io.out(`  wrote ${f}`);
    for (const s of sites) io.out(`  site ${s}: ${siteSpiffeId(s)}`);
    return 0;
  } catch (err: unknown) {
    io.err(`certs: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
