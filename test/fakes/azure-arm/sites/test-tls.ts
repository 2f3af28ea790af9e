/** The test TLS material in test/fixtures/tls (see its README): the CA clients trust, the sites' certificate. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repositoryRoot } from '../../../deployer/host/fixture-apps.js';

const tlsDir = path.join(repositoryRoot, 'test', 'fixtures', 'tls');

/** Give it to clients as NODE_EXTRA_CA_CERTS. */
export const testCaFile = path.join(tlsDir, 'ca.pem');

export function readTestCa(): string {
  return readFileSync(testCaFile, 'utf8');
}

export function readSiteCertificate(): { key: string; cert: string } {
  return { key: readFileSync(path.join(tlsDir, 'site-key.pem'), 'utf8'), cert: readFileSync(path.join(tlsDir, 'site-cert.pem'), 'utf8') };
}
