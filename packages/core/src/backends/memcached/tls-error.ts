import { ConnectionError } from '../../errors.js';

/**
 * The TLS handshake with a server failed: its certificate did not verify (unknown CA, wrong
 * host name, expired), or it does not speak TLS. Names the server and TLS; the code is
 * E_CONNECTION, so the failure policy treats it as any unreachable server.
 */
export class TlsError extends ConnectionError {
  /** OpenSSL's or Node's code for the failure (`UNABLE_TO_VERIFY_LEAF_SIGNATURE`, `ERR_TLS_CERT_ALTNAME_INVALID`, ...). */
  readonly reason: string | undefined;

  constructor(server: string, cause: unknown) {
    const code = (cause as { code?: unknown } | null)?.code;
    const message = cause instanceof Error ? cause.message : String(cause);
    super(server, `TLS handshake failed: ${typeof code === 'string' ? `${code} (${message})` : message}`, { cause });
    this.reason = typeof code === 'string' ? code : undefined;
  }
}
