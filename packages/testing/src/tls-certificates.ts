import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throw-away certificate authority and a server certificate it signed, made for one test run. */
export interface TestCertificates {
  /** The directory holding the files. */
  readonly dir: string;
  /** The CA's certificate, PEM: what a client passes as `tls.ca`. */
  readonly ca: string;
  /** Path of the CA certificate file. */
  readonly caFile: string;
  /** Path of the server's certificate (for 127.0.0.1 and localhost), PEM. */
  readonly certFile: string;
  /** Path of the server's private key, PEM. */
  readonly keyFile: string;
  /** A client certificate signed by the same CA, PEM (for servers that verify clients). */
  readonly clientCert: string;
  /** The client certificate's private key, PEM. */
  readonly clientKey: string;
}

/**
 * Makes a CA, a server certificate for `127.0.0.1` and `localhost`, and a client certificate,
 * with the `openssl` command (Debian's openssl package), in a fresh temp dir; valid for a day.
 * Nothing is committed: every run makes its own.
 */
export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'larder-tls-'));
  const file = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => {
    try {
      execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    } catch (error) {
      throw new Error(`openssl ${args[0]} failed (is Debian's openssl installed?): ${String((error as { stderr?: unknown }).stderr ?? error)}`);
    }
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=Larder test CA');
  writeFileSync(file('server.ext'), 'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n');
  writeFileSync(file('client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  for (const [name, cn] of [['server', 'localhost'], ['client', 'larder-test-client']] as const) {
    openssl('req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
  return {
    dir,
    ca: readFileSync(file('ca.pem'), 'utf8'),
    caFile: file('ca.pem'),
    certFile: file('server.pem'),
    keyFile: file('server.key'),
    clientCert: readFileSync(file('client.pem'), 'utf8'),
    clientKey: readFileSync(file('client.key'), 'utf8'),
  };
}
