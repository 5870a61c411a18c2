import { roleAllows } from './permissions.js';

/** Roles with pii:read see phone numbers and addresses in full; everyone else sees 138****1234. */
export function canSeePii(role: string): boolean {
  return roleAllows(role, 'pii:read');
}
