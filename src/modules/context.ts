import type { Db } from '../db/connect.js';

/** What every service needs: the database and a clock tests can control. */
export interface AppContext {
  db: Db;
  now(): Date;
}

export function nowIso(ctx: AppContext): string {
  return ctx.now().toISOString();
}

/** Splits a list for IN (...) lists and multi-row inserts (SQLite allows 32,766 parameters). */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
