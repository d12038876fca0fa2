/**
 * The one error type of the admin operations. Its `kind` tells the caller what went wrong without
 * parsing the message: the CLI maps it to an exit code, the admin HTTP API will map it to a status
 * (`invalid` → 400, `not_found` → 404, `conflict` → 409). Messages are whole sentences meant for a
 * human and never contain a secret.
 *
 * @example
 * ```ts
 * throw AdminError.notFound('User usr_123 does not exist.');
 * ```
 */
export type AdminErrorKind = 'invalid' | 'not_found' | 'conflict';

export class AdminError extends Error {
  readonly kind: AdminErrorKind;

  constructor(kind: AdminErrorKind, message: string) {
    super(message);
    this.name = 'AdminError';
    this.kind = kind;
  }

  static invalid(message: string): AdminError {
    return new AdminError('invalid', message);
  }
  static notFound(message: string): AdminError {
    return new AdminError('not_found', message);
  }
  static conflict(message: string): AdminError {
    return new AdminError('conflict', message);
  }
}
