import { createHash } from 'node:crypto';

/**
 * A function key made for the releaseUser function, as the tests present it, and the setting that lets release accept
 * it (RELEASE_KEY_SHA256 holds its SHA-256: release over HTTP takes no other key, docs/deploy.md).
 */
export const RELEASE_KEY = 'tests-releaseUser-function-key_0123456789abcdef==';
export const RELEASE_KEY_ENV = { RELEASE_KEY_SHA256: createHash('sha256').update(RELEASE_KEY).digest('hex') };
export const RELEASE_KEY_HEADERS = { 'x-functions-key': RELEASE_KEY };
