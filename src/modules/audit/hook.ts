import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../context.js';
import { audit } from './service.js';

/**
 * The audited routes, in one place: method + route url (as registered) → action. A route listed
 * here writes an entry after every successful (2xx) answer, with its parameters, query and a
 * compacted body (no passwords or secrets, long lists counted). Routes whose entry needs more
 * than that (login failures, reveals, erasures) call `audit` themselves instead.
 */
export const AUDITED_ROUTES: Readonly<Record<string, string>> = {
  // Tokens and users
  'POST /api/v1/auth/tokens': 'token.create',
  'DELETE /api/v1/auth/tokens/:id': 'token.revoke',
  'POST /api/v1/users': 'user.create',
  'PATCH /api/v1/users/:id': 'user.update',
  'DELETE /api/v1/users/:id': 'user.delete',
  'POST /api/v1/auth/password': 'user.password_change',
  'POST /api/v1/auth/logout': 'auth.logout',
  // Exports (personal data leaving the system)
  'POST /api/v1/customers/export': 'export.customers',
  'GET /api/v1/segments/:id/export.csv': 'export.segment_csv',
  'GET /api/v1/segments/:id/export.xlsx': 'export.segment_xlsx',
  'GET /api/v1/imports/:id/errors.csv': 'export.rejected_rows',
  'GET /api/v1/campaigns/:id/handoff.csv': 'export.campaign_handoff',
  'GET /api/v1/campaigns/:id/handoff.xlsx': 'export.campaign_handoff',
  'GET /api/v1/customers/:id/data-export': 'export.customer_data',
  'GET /api/v1/customers/:id/data-export.zip': 'export.customer_data_zip',
  // Erasure (PIPL): the privacy module keeps its own request record; the log says who and from where.
  'POST /api/v1/customers/:id/erase': 'customer.erase',
  // Bulk edits
  'POST /api/v1/tags/apply': 'bulk.tags_apply',
  'POST /api/v1/segments/:id/tag': 'bulk.segment_tag',
  'POST /api/v1/segments/:id/untag': 'bulk.segment_untag',
  'POST /api/v1/groups/:id/members': 'bulk.group_members',
  'POST /api/v1/customers/attributes': 'bulk.customer_attributes',
  'POST /api/v1/points/grant': 'bulk.points_grant',
  'POST /api/v1/coupons/templates/:id/issue-segment': 'bulk.coupon_issue_segment',
  // The console's 对这些客户 actions (积分 and 优惠券 pages too): they were not logged.
  'POST /api/v1/segments/:id/actions/tag': 'bulk.segment_tag',
  'POST /api/v1/segments/:id/actions/coupon': 'bulk.coupon_issue_segment',
  'POST /api/v1/segments/:id/actions/points': 'bulk.points_grant',
  'POST /api/v1/customers/:id/points/earn': 'points.earn',
  'POST /api/v1/customers/:id/points/redeem': 'points.redeem',
  'POST /api/v1/points/redemptions/:id/void': 'points.redemption_void',
  'POST /api/v1/coupons/templates/:id/issue': 'coupon.issue',
  'POST /api/v1/imports': 'import.start',
  'POST /api/v1/customers/:id/merge': 'customer.merge',
  'POST /api/v1/merges/:id/undo': 'customer.merge_undo',
  'POST /api/v1/customers/:id/points/adjust': 'points.adjust',
  'PUT /api/v1/customers/:id/tier': 'tier.set',
  // Settings and rules
  'PUT /api/v1/points/settings': 'settings.points',
  'PUT /api/v1/tiers': 'settings.tiers',
  'PUT /api/v1/stats/settings': 'settings.stats',
  'PUT /api/v1/rfm/settings': 'settings.rfm',
  'PUT /api/v1/messaging/settings': 'settings.messaging',
  'PUT /api/v1/predict/settings': 'settings.predict',
  'PUT /api/v1/workspace/timezone': 'settings.timezone',
  'POST /api/v1/messaging/channels': 'settings.channel_create',
  'DELETE /api/v1/messaging/channels/:id': 'settings.channel_delete',
  'POST /api/v1/stores': 'settings.store_create',
  'PATCH /api/v1/stores/:id': 'settings.store_update',
  'DELETE /api/v1/stores/:id': 'settings.store_delete',
  'PUT /api/v1/stores/:id/webhook': 'settings.store_webhook',
  'POST /api/v1/points/rewards': 'settings.reward_create',
  'POST /api/v1/coupons/templates': 'settings.coupon_template_create',
  'PUT /api/v1/coupons/templates/:id': 'settings.coupon_template_update',
  'DELETE /api/v1/coupons/templates/:id': 'settings.coupon_template_archive',
  'POST /api/v1/coupons/templates/:id/pause': 'settings.coupon_template_pause',
  'POST /api/v1/coupons/templates/:id/resume': 'settings.coupon_template_resume',
  'PUT /api/v1/points/rewards/:id': 'settings.reward_update',
  'DELETE /api/v1/points/rewards/:id': 'settings.reward_archive',
  // Campaigns
  'POST /api/v1/campaigns/:id/launch': 'campaign.launch',
  'POST /api/v1/campaigns/:id/pause': 'campaign.pause',
  'POST /api/v1/campaigns/:id/resume': 'campaign.resume',
  'POST /api/v1/campaigns/:id/cancel': 'campaign.cancel',
  // Automations: switching one on sends messages to customers from then on, every day.
  'POST /api/v1/automations': 'automation.create',
  'PUT /api/v1/automations/:id': 'automation.update',
  'POST /api/v1/automations/:id/enable': 'automation.enable',
  'POST /api/v1/automations/:id/disable': 'automation.disable',
  'POST /api/v1/automations/import': 'automation.import',
};

/**
 * "customer 01J…" from /customers/:id/…: the resource the route's :id names; for a route without one whose body
 * names exactly one customer (a tag added on the customer's page is POST /tags/apply with one id), that customer,
 * so the log names her instead of showing a bare id in the details.
 */
export function targetOf(url: string, params: unknown, body?: unknown): string | null {
  const id = params && typeof params === 'object' ? (params as Record<string, unknown>).id : undefined;
  if (typeof id !== 'string') {
    const ids = body && typeof body === 'object' ? (body as Record<string, unknown>).customerIds : undefined;
    return Array.isArray(ids) && ids.length === 1 && typeof ids[0] === 'string' ? `customer ${ids[0]}` : null;
  }
  const resource = /\/([a-z-]+)\/:id/.exec(url)?.[1] ?? 'item';
  return `${resource.replace(/ies$/, 'y').replace(/s$/, '')} ${id}`;
}

function isEmpty(v: unknown): boolean {
  return v == null || (typeof v === 'object' && Object.keys(v).length === 0);
}

function detailsOf(req: FastifyRequest, status: number): Record<string, unknown> {
  const d: Record<string, unknown> = { status };
  if (!isEmpty(req.params)) d.params = req.params;
  if (!isEmpty(req.query)) d.query = req.query;
  // Multipart uploads: the body is a stream, not details.
  if (!isEmpty(req.body) && !req.isMultipart()) d.body = req.body;
  return d;
}

/** Writes the audit entry of a listed route before its successful answer leaves (so a test sees it at once). */
export function registerAuditHook(app: FastifyInstance, ctx: AppContext): void {
  app.addHook('onSend', async (req, reply, payload) => {
    const status = reply.statusCode;
    if (status < 200 || status >= 300) return payload;
    const url = req.routeOptions.url;
    if (url === undefined) return payload;
    const action = AUDITED_ROUTES[`${req.method} ${url}`];
    if (!action || !req.principal) return payload;
    try {
      await audit(ctx, {
        workspaceId: req.principal.workspaceId,
        actor: req.principal,
        action,
        target: targetOf(url, req.params, req.isMultipart() ? undefined : req.body),
        details: detailsOf(req, status),
        ip: req.ip,
      });
    } catch (err) {
      // The change is done; a failed log write must be seen by the operator, not turn success into an error.
      req.log.error({ err, action }, 'audit log write failed');
    }
    return payload;
  });
}
