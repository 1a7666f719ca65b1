/**
 * Agent identity narrowed beyond the CA, end to end in the shared lab (the real operator and agent processes, the
 * hub's apiserver): a Site that pins a certificate other than the one its running agent presents ends that agent's
 * session, and the Site says AgentConnected=False with reason CertificateNotPinned, naming both fingerprints; pinning
 * the agent's own certificate lets it back in. The pin is removed at the end and the site is Ready again, whatever
 * happened. (Revocation by file is the same check; src/operator/agent-certificates.test.ts runs it over loopback.)
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { conditionOf, getSite } from './support/hub.ts';
import { eventually, kubectl, sharedLab } from './support/shared-lab.ts';

const SITE = 'beijing';

describe('a Site that pins its agent certificate', () => {
  it('refuses the agent while another certificate is pinned, says so on the Site, and lets the pinned one in', async () => {
    const lab = await sharedLab();
    const hub = lab.kubeconfig('hub');
    const own = new X509Certificate(readFileSync(join(lab.dir, 'certs', `${SITE}.crt`), 'utf8')).fingerprint256;
    const other = Array.from({ length: 32 }, () => '5E').join(':');
    const pin = (pins: string[] | null): void => {
      const r = kubectl(hub, ['patch', 'site', SITE, '--type=merge', '-p', JSON.stringify({ spec: { connection: { agentCertificateSHA256: pins } } })]);
      expect(r.code, r.stderr).toBe(0);
    };
    const agent = () => conditionOf(getSite(hub, SITE), 'AgentConnected');

    await eventually(() => expect(agent()).toMatchObject({ status: 'True', reason: 'AgentReporting' }), { timeoutMs: 60_000, intervalMs: 500 });
    try {
      pin([other]);
      const refused = await eventually(
        () => {
          const c = agent();
          expect(c).toMatchObject({ status: 'False', reason: 'CertificateNotPinned' });
          return c;
        },
        { timeoutMs: 30_000, intervalMs: 300 },
      );
      const hex = (fp: string): string => fp.replaceAll(':', '').toLowerCase();
      expect(refused?.message).toBe(
        `the agent's client certificate was refused: Site ${SITE} pins its agent certificate to sha256:${hex(other)} ` +
          `(spec.connection.agentCertificateSHA256); this one is sha256:${hex(own)}`,
      );

      pin([other, own]);
      await eventually(() => expect(agent()).toMatchObject({ status: 'True', reason: 'AgentReporting' }), { timeoutMs: 90_000, intervalMs: 500 });
    } finally {
      pin(null);
      await eventually(() => expect(conditionOf(getSite(hub, SITE), 'Ready')).toMatchObject({ status: 'True' }), { timeoutMs: 120_000, intervalMs: 500 });
    }
  });
});
