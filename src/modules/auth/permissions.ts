import type { ROLES } from './schema.js';

/**
 * Permissions as data. Every route declares the one permission it needs in its route options
 * (`config: { permission: 'customers:read' }`); roles map to sets of permissions below.
 * `public` routes need no login (health, links in messages, signed webhooks, survey pages);
 * `authenticated` routes need a login but no particular permission (the caller's own account).
 */
export const PERMISSIONS = [
  'customers:read',
  'customers:write',
  /** Erase a customer's personal data on their request (PIPL): owners and admins. */
  'customers:erase',
  'pii:read',
  // Show one customer's or order's full contact data on request (logged in the audit log).
  'pii:reveal',
  'export',
  'import',
  'segments:write',
  'settings:write',
  'points:write',
  'coupons:write',
  'campaigns:read',
  'campaigns:write',
  'campaigns:send',
  'automations:write',
  'tasks:read',
  'tasks:write',
  'analytics:read',
  'users:manage',
  'tokens:manage',
  'audit:read',
] as const;

export type Permission = (typeof PERMISSIONS)[number];

/** What a route asks of its caller. */
export type RouteAccess = Permission | 'public' | 'authenticated';

export type Role = (typeof ROLES)[number];

const ALL: readonly Permission[] = PERMISSIONS;

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  owner: ALL,
  admin: ALL,
  marketer: [
    'customers:read',
    'customers:write',
    'export',
    'import',
    'segments:write',
    'points:write',
    'coupons:write',
    'campaigns:read',
    'campaigns:write',
    'campaigns:send',
    'automations:write',
    'tasks:read',
    'analytics:read',
    'tokens:manage',
  ],
  agent: ['customers:read', 'customers:write', 'pii:reveal', 'tasks:read', 'tasks:write', 'campaigns:read'],
  // No `export` by default: an export takes the customer list (buyer nicks, platform ids) out of the system, where
  // nothing masks or logs it any more; an analyst works on the dashboards, segments and reports in the console.
  analyst: ['customers:read', 'analytics:read', 'campaigns:read', 'tasks:read'],
};

/** Everything a role may do, in the order of PERMISSIONS (none for an unknown role). */
export function permissionsOf(role: string): Permission[] {
  return PERMISSIONS.filter((p) => roleAllows(role, p));
}

export function roleAllows(role: string, permission: Permission): boolean {
  return (ROLE_PERMISSIONS as Record<string, readonly Permission[] | undefined>)[role]?.includes(permission) ?? false;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a route needs; a route without one refuses everyone (default deny). */
    permission?: RouteAccess;
  }
}
