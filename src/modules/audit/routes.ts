import { reason } from '../../core/reasons.js';
import { Forbidden } from '../../core/errors.js';
import { roleAllows } from '../auth/permissions.js';
import { idParams, principalOf, type ModuleRoutes } from '../http.js';
import {
  auditListOutput,
  auditQuery,
  revealCustomerInput,
  revealCustomerOutput,
  revealOrderInput,
  revealOrderOutput,
} from './schema.js';
import { listAudit } from './service.js';
import { revealCustomerContact, revealOrderContact } from './reveal.js';

/**
 * The audit log (read only: there is no route that changes or removes an entry) and the explicit
 * "show in full" actions for personal data, each of which writes an entry.
 */
export const auditRoutes: ModuleRoutes = async (app, { ctx }) => {
  app.get(
    '/audit',
    {
      config: { permission: 'audit:read' },
      schema: {
        tags: ['audit'],
        summary: 'The audit log, newest first: logins, exports, reveals, bulk edits, settings, tokens, users …',
        querystring: auditQuery,
        response: { 200: auditListOutput },
      },
    },
    async (req) => {
      const p = principalOf(req);
      // Also checked by the route permission; the log shows who did what, so it stays closed even without it.
      if (!roleAllows(p.role, 'audit:read'))
        throw new Forbidden(
          `your role (${p.role}) may not read the audit log (it needs "audit:read")`,
          reason('auth.auditRead', { role: p.role }),
        );
      return listAudit(ctx, p.workspaceId, req.query);
    },
  );

  app.post(
    '/customers/:id/reveal',
    {
      config: { permission: 'pii:reveal' },
      schema: {
        tags: ['customers'],
        summary: "Show a customer's contact data in full (phone, e-mail, name …); logged in the audit log",
        params: idParams,
        body: revealCustomerInput,
        response: { 200: revealCustomerOutput },
      },
    },
    async (req) => revealCustomerContact(ctx, principalOf(req), req.params.id, req.body ?? {}, req.ip),
  );

  app.post(
    '/orders/:id/reveal',
    {
      config: { permission: 'pii:reveal' },
      schema: {
        tags: ['orders'],
        summary: "Show an order's receiver and raw personal columns in full; logged in the audit log",
        params: idParams,
        body: revealOrderInput,
        response: { 200: revealOrderOutput },
      },
    },
    async (req) => revealOrderContact(ctx, principalOf(req), req.params.id, req.body ?? {}, req.ip),
  );
};
