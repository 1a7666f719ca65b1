/** OperatorConfigError is a problem with the operator's configuration that its user can fix (a file, an address). */
export class OperatorConfigError extends Error {
  override readonly name = 'OperatorConfigError';
}
