/**
 * TlsFiles are the PEM documents one end of the agent connection needs: the CA that signs the other end's
 * certificate, and its own certificate chain and private key. Lab ones come from `suanwang certs`
 * (src/agent/certs.ts); real deployments bring their own (see README.md in this folder).
 */
export interface TlsFiles {
  /** caPem is the CA bundle that verifies the peer. */
  readonly caPem: string | Buffer;
  /** certPem is this end's certificate chain, leaf first. */
  readonly certPem: string | Buffer;
  /** keyPem is this end's private key (PKCS#8 or SEC1). */
  readonly keyPem: string | Buffer;
}
