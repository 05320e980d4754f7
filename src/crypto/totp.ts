import { Secret, TOTP } from 'otpauth';
import { assert } from '../lib/assert';

/**
 * TOTP (RFC 6238) as authenticator apps expect it: HMAC-SHA-1, 30-second steps, 6 digits.
 * Every function takes the time explicitly: the library would otherwise read Date.now(), and
 * tests could not pin a code to a step.
 */
export const TOTP_STEP_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Steps accepted either side of the current one, for clock drift (RFC 6238 §5.2). */
export const TOTP_WINDOW_STEPS = 1;
/** RFC 4226 §4 asks for at least 128 bits and recommends 160; apps expect 20 bytes. */
export const TOTP_SECRET_BYTES = 20;

const ALGORITHM = 'SHA1';

function secretOf(secretBytes: Uint8Array): Secret {
  assert(secretBytes.length > 0, 'a TOTP secret is never empty');
  // Copied, so the library never holds a view into a buffer the caller may reuse.
  return new Secret({ buffer: secretBytes.slice().buffer });
}

/** A new random TOTP secret, as bytes and as the unpadded base32 that apps take. */
export function newTotpSecret(): { bytes: Uint8Array; base32: string } {
  const bytes = crypto.getRandomValues(new Uint8Array(TOTP_SECRET_BYTES));
  return { bytes, base32: secretOf(bytes).base32 };
}

/** Decodes a base32 secret as stored by setup. Throws on characters outside RFC 4648 base32. */
export function totpSecretFromBase32(base32: string): Uint8Array {
  const bytes = Secret.fromBase32(base32).bytes;
  assert(bytes.length === TOTP_SECRET_BYTES, 'a stored TOTP secret is 20 bytes');
  return bytes;
}

/** The time step (counter) that contains a moment: whole 30-second periods since the epoch. */
export function totpStepAt(timeMs: number): number {
  return TOTP.counter({ period: TOTP_STEP_SECONDS, timestamp: timeMs });
}

/** The 6-digit code for the step that contains `timeMs`. */
export function totpAt(secretBytes: Uint8Array, timeMs: number): string {
  return TOTP.generate({
    secret: secretOf(secretBytes),
    algorithm: ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_STEP_SECONDS,
    timestamp: timeMs,
  });
}

/**
 * The time step a code belongs to, when it is the code of the current step or of one step
 * either side; null otherwise. Comparison is constant-time in the library. The step lets the
 * caller refuse a code whose step was already used (RFC 6238 §5.2: one use per code).
 */
export function matchTotpStep(
  secretBytes: Uint8Array,
  code: string,
  timeMs: number,
): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = TOTP.validate({
    token: code,
    secret: secretOf(secretBytes),
    algorithm: ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_STEP_SECONDS,
    timestamp: timeMs,
    window: TOTP_WINDOW_STEPS,
  });
  return delta === null ? null : totpStepAt(timeMs) + delta;
}

/**
 * The otpauth:// key URI an authenticator app scans (Google Authenticator's Key Uri Format).
 * It carries the secret and the account label (the holder's email): return it to its owner
 * only, and never log it.
 */
export function totpKeyUri(input: {
  secretBytes: Uint8Array;
  issuer: string;
  label: string;
}): string {
  return new TOTP({
    issuer: input.issuer,
    label: input.label,
    secret: secretOf(input.secretBytes),
    algorithm: ALGORITHM,
    digits: TOTP_DIGITS,
    period: TOTP_STEP_SECONDS,
  }).toString();
}
