import type { RouterRoute } from 'hono/types';

/**
 * The methods that some mounted route accepts for this path. Hono answers an unmatched method
 * like an unknown path; this lets the not-found handler answer 405 with `Allow` instead.
 */
export function allowedMethods(routes: RouterRoute[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === 'ALL' || !patternMatches(route.path, path)) continue;
    methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

function patternMatches(pattern: string, path: string): boolean {
  const patternParts = pattern.split('/');
  const pathParts = path.split('/');
  if (patternParts.length !== pathParts.length) return false;
  // A parameter matches one non-empty segment, as in Hono: `/accounts/` is not `/accounts/:id`.
  return patternParts.every((part, index) =>
    part.startsWith(':') ? (pathParts[index] ?? '') !== '' : part === pathParts[index],
  );
}
