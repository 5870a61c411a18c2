/** JSON columns: text on SQLite, jsonb on PostgreSQL (already parsed by pg). */
export function readJson<T = unknown>(value: unknown): T {
  if (typeof value === 'string') return JSON.parse(value) as T;
  return value as T;
}

export function writeJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}
