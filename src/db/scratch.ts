import pg from 'pg';

/**
 * A throw-away PostgreSQL database on a server where we may create databases (tests, benchmarks):
 * its URL, and how to drop it. With `template`, a copy of that database (e.g. one already migrated).
 */
export async function createScratchDatabase(
  adminUrl: string,
  prefix: string,
  template?: string,
): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const run = async (statement: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  if (template) {
    // Two copies of one template at the same moment can collide ("being accessed by other users"): retry.
    for (let attempt = 0; ; attempt++) {
      try {
        await run(`CREATE DATABASE ${name} TEMPLATE ${template}`);
        break;
      } catch (e) {
        if ((e as { code?: string }).code !== '55006' || attempt >= 20) throw e;
        await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
      }
    }
  } else {
    await run(`CREATE DATABASE ${name}`);
  }
  const u = new URL(adminUrl);
  u.pathname = `/${name}`;
  return { url: u.toString(), drop: () => run(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}
