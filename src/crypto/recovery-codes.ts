import { blindIndexCandidates, currentBlindIndex, type BlindIndexKeyRing } from './fields';

/**
 * MFA recovery codes: ten base32 characters (50 random bits) shown as two groups of five,
 * `ABCDE-FGH23`. They are typed by people, so the check ignores case, spaces and the dash.
 */
export const RECOVERY_CODE_CHARACTERS = 10;

// RFC 4648 base32: no 0, 1, 8 or 9, so O/0 and I/1 cannot be confused when read aloud.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
const HASH_PURPOSE = 'mfa-recovery-code';
const NORMALIZED_PATTERN = new RegExp(`^[A-Z2-7]{${RECOVERY_CODE_CHARACTERS}}$`);

/** A new recovery code: two groups of five base32 characters joined by a dash. */
export function newRecoveryCode(): string {
  // 256 is a multiple of 32, so taking each byte modulo 32 keeps every character uniform.
  const bytes = crypto.getRandomValues(new Uint8Array(RECOVERY_CODE_CHARACTERS));
  const characters = Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]).join('');
  const half = RECOVERY_CODE_CHARACTERS / 2;
  return `${characters.slice(0, half)}-${characters.slice(half)}`;
}

/** The canonical form of a typed code (upper case, no dash or spaces), or null if malformed. */
export function normalizeRecoveryCode(input: string): string | null {
  const normalized = input.replace(/[\s-]/g, '').toUpperCase();
  return NORMALIZED_PATTERN.test(normalized) ? normalized : null;
}

/**
 * What is stored for a code: HMAC-SHA-256 under the current blind index key, as
 * `<keyId>:<hex>` (bare hex for codes made before key ids). A plain SHA-256
 * of 50 bits could be brute-forced offline from a copy of the database; a keyed hash cannot
 * without the key, which lives in Secrets, not D1. The holder id is hashed in too, so two
 * holders who draw the same code (likely among millions of codes) still store different
 * hashes and the UNIQUE index never refuses an enrolment. Takes a normalized code.
 */
export function hashRecoveryCode(
  ring: BlindIndexKeyRing,
  input: { holderId: string; normalizedCode: string },
): Promise<string> {
  return currentBlindIndex(ring, HASH_PURPOSE, `${input.holderId}:${input.normalizedCode}`);
}

/**
 * Every stored form a typed code can have under the ring, for the lookup. LIMITATION: unlike an
 * SSN or card number, a code cannot be re-hashed under a new blind index key, since only its
 * hash is kept; a key stays needed while unused codes made under it exist (the retirement
 * check counts them), until the holder uses them or turns MFA off and on again.
 */
export function recoveryCodeHashCandidates(
  ring: BlindIndexKeyRing,
  input: { holderId: string; normalizedCode: string },
): Promise<string[]> {
  return blindIndexCandidates(ring, HASH_PURPOSE, `${input.holderId}:${input.normalizedCode}`);
}
