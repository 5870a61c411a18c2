import { shownText } from '../../core/validation.js';
import { z } from 'zod';
import { PERMISSIONS } from './permissions.js';

export const ROLES = ['owner', 'admin', 'marketer', 'agent', 'analyst'] as const;

export const loginInput = z.object({
  // At most 256 characters: a megabyte "password" was taken and hashed, a megabyte login written to the audit log.
  login: z.string().trim().min(1, 'login is required').max(256),
  password: z.string().min(1, 'password is required').max(256),
  workspaceId: z.string().max(100).optional(),
});

export const userInput = z.object({
  login: z
    .string()
    .trim()
    .min(2, 'login needs at least 2 characters')
    .max(64)
    .regex(/^[\w.@+-]+$/, 'login may use letters, digits and . @ + - _'),
  password: z.string().min(8, 'password needs at least 8 characters').max(256),
  name: shownText(64).optional(),
  role: z.enum(ROLES).default('owner'),
});

export const meOutput = z.object({
  user: z.object({ id: z.string(), login: z.string(), name: z.string(), role: z.string() }),
  workspace: z.object({ id: z.string(), name: z.string(), timezone: z.string() }),
  via: z.enum(['session', 'token']),
  /** What the user's role may do (the console hides what it may not); a read-only token still only reads. */
  permissions: z.array(z.enum(PERMISSIONS)),
});

export const userOutput = z.object({ id: z.string(), login: z.string(), name: z.string(), role: z.string() });

export const usersOutput = z.object({
  items: z.array(userOutput.extend({ createdAt: z.string(), disabled: z.boolean() })),
});

export const tokenInput = z.object({
  name: shownText(64),
  /** "read" alone: the token may only read (GET); default read and write. */
  scopes: z
    .array(z.enum(['read', 'write']))
    .min(1)
    .optional(),
  /** When the token stops working (ISO 8601 with offset); none: never. */
  expiresAt: z.string().datetime({ offset: true }).nullable().optional(),
});

export const tokenOutput = z.object({ id: z.string(), token: z.string() });
