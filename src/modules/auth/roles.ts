/** Roles that may see phone numbers and addresses in full; everyone else sees 138****1234. */
const SEES_PII = new Set(['owner', 'admin']);

export function canSeePii(role: string): boolean {
  return SEES_PII.has(role);
}

const MANAGES_USERS = new Set(['owner', 'admin']);

export function canManageUsers(role: string): boolean {
  return MANAGES_USERS.has(role);
}
