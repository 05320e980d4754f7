import argon2Wasm from '@phi-ag/argon2/argon2.wasm';
import { assert } from '../lib/assert';
import { utf8 } from '../lib/encoding';

/**
 * Argon2id password hashing (RFC 9106) on the WebAssembly build of the reference code.
 *
 * The package's own JavaScript wrapper passes `password.length` (UTF-16 code units) as the byte
 * length of the UTF-8 password, which silently truncates any non-ASCII password. This module
 * calls the module's exports directly with the true byte length instead.
 */

/** The one place the cost parameters live. Raising them makes old hashes rehash at login. */
export const ARGON2_PARAMETERS = {
  memoryKib: 19_456,
  iterations: 2,
  parallelism: 1,
  hashBytes: 32,
  saltBytes: 16,
} as const;

const ARGON2ID = 2;
const ARGON2_VERSION_13 = 0x13;
const ARGON2_OK = 0;

interface Argon2Exports {
  memory: WebAssembly.Memory;
  _initialize(): void;
  malloc(size: number): number;
  free(pointer: number): void;
  argon2_encodedlen(
    t: number,
    m: number,
    p: number,
    saltLength: number,
    hashLength: number,
    type: number,
  ): number;
  argon2_hash(
    t: number,
    m: number,
    p: number,
    password: number,
    passwordLength: number,
    salt: number,
    saltLength: number,
    hash: number,
    hashLength: number,
    encoded: number,
    encodedLength: number,
    type: number,
    version: number,
  ): number;
  argon2_verify(encoded: number, password: number, passwordLength: number, type: number): number;
}

let instance: Argon2Exports | undefined;

function getArgon2(): Argon2Exports {
  if (!instance) {
    // Instantiating an already compiled module is allowed at any time; compiling is not.
    const created = new WebAssembly.Instance(argon2Wasm, {});
    instance = created.exports as unknown as Argon2Exports;
    instance._initialize();
  }
  return instance;
}

/** Copies bytes into module memory; the caller frees the returned pointer. */
function copyIn(argon2: Argon2Exports, bytes: Uint8Array): number {
  const pointer = argon2.malloc(Math.max(bytes.length, 1));
  assert(pointer !== 0, 'argon2 module out of memory');
  new Uint8Array(argon2.memory.buffer, pointer, bytes.length).set(bytes);
  return pointer;
}

export interface Argon2idInput {
  password: Uint8Array;
  salt: Uint8Array;
  iterations: number;
  memoryKib: number;
  parallelism: number;
  hashBytes: number;
}

/** Raw Argon2id: returns the tag and its PHC string. Exposed for known-answer tests. */
export function argon2id(input: Argon2idInput): { hash: Uint8Array; encoded: string } {
  const argon2 = getArgon2();
  const { iterations, memoryKib, parallelism, hashBytes } = input;
  const encodedLength = argon2.argon2_encodedlen(
    iterations,
    memoryKib,
    parallelism,
    input.salt.length,
    hashBytes,
    ARGON2ID,
  );
  const passwordPointer = copyIn(argon2, input.password);
  const saltPointer = copyIn(argon2, input.salt);
  const hashPointer = argon2.malloc(hashBytes);
  const encodedPointer = argon2.malloc(encodedLength);
  try {
    const result = argon2.argon2_hash(
      iterations,
      memoryKib,
      parallelism,
      passwordPointer,
      input.password.length,
      saltPointer,
      input.salt.length,
      hashPointer,
      hashBytes,
      encodedPointer,
      encodedLength,
      ARGON2ID,
      ARGON2_VERSION_13,
    );
    assert(result === ARGON2_OK, `argon2_hash failed with code ${result}`);
    const memory = new Uint8Array(argon2.memory.buffer);
    const hash = memory.slice(hashPointer, hashPointer + hashBytes);
    const encodedBytes = memory.slice(encodedPointer, encodedPointer + encodedLength - 1);
    return { hash, encoded: utf8.decode(encodedBytes) };
  } finally {
    argon2.free(passwordPointer);
    argon2.free(saltPointer);
    argon2.free(hashPointer);
    argon2.free(encodedPointer);
  }
}

/** Unicode-normalizes a password (NFKC) before it is hashed or compared. */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Hashes a password into a PHC string with the current parameters and a fresh salt. */
export function hashPassword(password: string): string {
  const salt = crypto.getRandomValues(new Uint8Array(ARGON2_PARAMETERS.saltBytes));
  return argon2id({
    password: utf8.encode(normalizePassword(password)),
    salt,
    iterations: ARGON2_PARAMETERS.iterations,
    memoryKib: ARGON2_PARAMETERS.memoryKib,
    parallelism: ARGON2_PARAMETERS.parallelism,
    hashBytes: ARGON2_PARAMETERS.hashBytes,
  }).encoded;
}

/**
 * How many Argon2 verifications this isolate has run. Login promises one per attempt, known
 * email or not; tests read the difference to hold it to that.
 */
export const passwordVerificationCount = { total: 0 };

/** Checks a password against a PHC string in constant time. A malformed hash is a mismatch. */
export function verifyPassword(encoded: string, password: string): boolean {
  const argon2 = getArgon2();
  passwordVerificationCount.total += 1;
  const encodedPointer = copyIn(argon2, utf8.encode(encoded + '\u0000'));
  const passwordBytes = utf8.encode(normalizePassword(password));
  const passwordPointer = copyIn(argon2, passwordBytes);
  try {
    const result = argon2.argon2_verify(
      encodedPointer,
      passwordPointer,
      passwordBytes.length,
      ARGON2ID,
    );
    assert(result === ARGON2_OK || result < 0, 'argon2_verify returns zero or an error code');
    return result === ARGON2_OK;
  } finally {
    argon2.free(encodedPointer);
    argon2.free(passwordPointer);
  }
}

const CURRENT_PREFIX =
  `$argon2id$v=19$m=${ARGON2_PARAMETERS.memoryKib},t=${ARGON2_PARAMETERS.iterations},` +
  `p=${ARGON2_PARAMETERS.parallelism}$`;

/** True when a stored hash was made with other parameters and should be replaced. */
export function needsRehash(encoded: string): boolean {
  return !encoded.startsWith(CURRENT_PREFIX);
}

/**
 * A hash of a random, discarded password with the current parameters. Login verifies against
 * it when the email is unknown, so both answers cost one Argon2 run.
 */
export const DUMMY_PASSWORD_HASH =
  '$argon2id$v=19$m=19456,t=2,p=1$3sYmMIGdG2m3xW3fRknhFA$' +
  'Y0vc3ZWW1pXoG6xvqVPVfOUGhOSlOmaT4/ElAaXCPJE';
