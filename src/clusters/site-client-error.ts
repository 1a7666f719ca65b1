/**
 * Why a Site's connection cannot be used. The reason is the Site's ConnectionAccepted (and Ready) reason, so a
 * refusal reads the same in status, Events and logs. Messages name the Site, the Secret and the field, never a
 * value from the kubeconfig: they reach status.placement.candidates[].reasons and Events, which many can read.
 */
import { Reason } from '../api/names.ts';

/** ConnectionReason is the class of a refused connection. */
export type ConnectionReason =
  | typeof Reason.KubeconfigMissing
  | typeof Reason.KubeconfigInvalid
  | typeof Reason.KubeconfigNotAllowed
  | typeof Reason.SecretNamespaceNotAllowed;

/** SiteClientError: a Site's connection cannot be used (no Secret, no key, unparsable or refused kubeconfig). */
export class SiteClientError extends Error {
  override readonly name = 'SiteClientError';
  readonly code = 'SiteConnectionInvalid';
  readonly reason: ConnectionReason;

  constructor(reason: ConnectionReason, message: string) {
    super(message);
    this.reason = reason;
  }
}
