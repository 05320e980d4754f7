import { describe, expect, it } from 'vitest';
import {
  hashRecoveryCode,
  newRecoveryCode,
  normalizeRecoveryCode,
} from '../../src/crypto/recovery-codes';
import {
  matchTotpStep,
  newTotpSecret,
  totpAt,
  totpKeyUri,
  totpSecretFromBase32,
  totpStepAt,
} from '../../src/crypto/totp';

// RFC 6238 Appendix B, SHA-1 rows: the seed is the ASCII string "12345678901234567890".
const RFC_SEED = new TextEncoder().encode('12345678901234567890');
const RFC_VECTORS: [timeSeconds: number, eightDigits: string][] = [
  [59, '94287082'],
  [1111111109, '07081804'],
  [1111111111, '14050471'],
  [1234567890, '89005924'],
  [2000000000, '69279037'],
  [20000000000, '65353130'],
];

/** RFC 4226 §5.3 HOTP written out with WebCrypto, independent of the library under test. */
async function referenceTotp(secret: Uint8Array, timeMs: number): Promise<string> {
  const counter = Math.floor(timeMs / 1000 / 30);
  const message = new Uint8Array(8);
  new DataView(message.buffer).setBigUint64(0, BigInt(counter));
  const key = await crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-1' }, false, [
    'sign',
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, message));
  const offset = (mac[19] as number) & 0x0f;
  const binary = new DataView(mac.buffer).getUint32(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

const T0_MS = Date.parse('2026-12-03T12:00:00.000Z');

describe('totpAt', () => {
  it.each(RFC_VECTORS)('matches RFC 6238 Appendix B at T = %d s', (timeSeconds, eightDigits) => {
    expect(totpAt(RFC_SEED, timeSeconds * 1000)).toBe(eightDigits.slice(-6));
  });

  it('agrees with a WebCrypto HOTP for 50 random secrets and times', async () => {
    for (let round = 0; round < 50; round++) {
      const secret = crypto.getRandomValues(new Uint8Array(20));
      const timeMs = crypto.getRandomValues(new Uint32Array(1))[0]! * 1000;
      expect(totpAt(secret, timeMs)).toBe(await referenceTotp(secret, timeMs));
    }
  });

  it('keeps one code for the whole 30-second step and changes it at the boundary', () => {
    const stepStartMs = 1111111110 * 1000;
    const code = totpAt(RFC_SEED, stepStartMs);
    expect(totpAt(RFC_SEED, stepStartMs + 29_999)).toBe(code);
    expect(totpAt(RFC_SEED, stepStartMs + 30_000)).not.toBe(code);
    expect(totpStepAt(stepStartMs)).toBe(37037037);
    expect(totpStepAt(stepStartMs + 29_999)).toBe(37037037);
    expect(totpStepAt(stepStartMs + 30_000)).toBe(37037038);
  });
});

describe('matchTotpStep', () => {
  const step = totpStepAt(T0_MS);

  it('returns the step of the current code and of the codes one step either side', () => {
    expect(matchTotpStep(RFC_SEED, totpAt(RFC_SEED, T0_MS), T0_MS)).toBe(step);
    expect(matchTotpStep(RFC_SEED, totpAt(RFC_SEED, T0_MS - 30_000), T0_MS)).toBe(step - 1);
    expect(matchTotpStep(RFC_SEED, totpAt(RFC_SEED, T0_MS + 30_000), T0_MS)).toBe(step + 1);
  });

  it('refuses the codes two steps away', () => {
    expect(matchTotpStep(RFC_SEED, totpAt(RFC_SEED, T0_MS - 60_000), T0_MS)).toBe(null);
    expect(matchTotpStep(RFC_SEED, totpAt(RFC_SEED, T0_MS + 60_000), T0_MS)).toBe(null);
  });

  it('refuses a code made from another secret', () => {
    const other = new TextEncoder().encode('09876543210987654321');
    expect(matchTotpStep(RFC_SEED, totpAt(other, T0_MS), T0_MS)).toBe(null);
  });

  it('refuses codes that are not exactly six digits', () => {
    const code = totpAt(RFC_SEED, T0_MS);
    for (const malformed of ['', code.slice(1), `${code}0`, ` ${code}`, 'abcdef', '１２３４５６']) {
      expect(matchTotpStep(RFC_SEED, malformed, T0_MS)).toBe(null);
    }
  });
});

describe('newTotpSecret and totpSecretFromBase32', () => {
  it('draws 20 bytes, written as 32 base32 characters that decode back to them', () => {
    const secret = newTotpSecret();
    expect(secret.bytes.length).toBe(20);
    expect(secret.base32).toMatch(/^[A-Z2-7]{32}$/);
    expect(totpSecretFromBase32(secret.base32)).toEqual(secret.bytes);
  });

  it('draws a different secret each time', () => {
    expect(newTotpSecret().base32).not.toBe(newTotpSecret().base32);
  });

  it('decodes the RFC seed from its base32 form', () => {
    expect(totpSecretFromBase32('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ')).toEqual(RFC_SEED);
  });
});

describe('totpKeyUri', () => {
  it('writes the issuer, the label, the secret and the RFC 6238 parameters', () => {
    const uri = totpKeyUri({
      secretBytes: RFC_SEED,
      issuer: 'Invisible Bank',
      label: 'ada@example.com',
    });
    expect(uri).toBe(
      'otpauth://totp/Invisible%20Bank:ada%40example.com?issuer=Invisible%20Bank' +
        '&secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&algorithm=SHA1&digits=6&period=30',
    );
  });
});

describe('recovery codes', () => {
  it('draws codes of two groups of five base32 characters', () => {
    const codes = Array.from({ length: 50 }, newRecoveryCode);
    for (const code of codes) expect(code).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    expect(new Set(codes).size).toBe(50);
  });

  it('normalizes case, spaces and the dash, and refuses anything else', () => {
    expect(normalizeRecoveryCode('abcde-fg234')).toBe('ABCDEFG234');
    expect(normalizeRecoveryCode(' ABCDE FG234 ')).toBe('ABCDEFG234');
    expect(normalizeRecoveryCode('ABCDEFG234')).toBe('ABCDEFG234');
    expect(normalizeRecoveryCode('ABCDE-FG23')).toBe(null);
    expect(normalizeRecoveryCode('ABCDE-FG2345')).toBe(null);
    expect(normalizeRecoveryCode('ABCDE-FG230')).toBe(null);
    expect(normalizeRecoveryCode('ABCDE_FG234')).toBe(null);
  });

  it('hashes the holder id in, so one code hashes differently for two holders', async () => {
    const key = { currentKeyId: 'r1', keys: new Map([['r1', new Uint8Array(32).fill(7)]]) };
    const first = await hashRecoveryCode(key, { holderId: 'h1', normalizedCode: 'ABCDEFG234' });
    const again = await hashRecoveryCode(key, { holderId: 'h1', normalizedCode: 'ABCDEFG234' });
    const otherHolder = await hashRecoveryCode(key, {
      holderId: 'h2',
      normalizedCode: 'ABCDEFG234',
    });
    expect(first).toMatch(/^r1:[0-9a-f]{64}$/);
    expect(again).toBe(first);
    expect(otherHolder).not.toBe(first);
  });
});
