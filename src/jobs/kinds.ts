/** The names of Huike's job kinds (handlers in jobs/handlers.ts). */
export const JOB = {
  import: 'import.run',
  statsRecompute: 'stats.recompute',
  /** The stats of customers an import marked and did not refresh (it was interrupted or failed): refreshed now. */
  statsPending: 'stats.pending',
  /** RFM classes rest on the stats: recomputed after imports and merges. */
  rfmRecompute: 'rfm.recompute',
  /** Order points earned and reversed, expired points written off. */
  points: 'points.sync',
  /** Tier upgrades after orders; with {yearly: true} also the 12-month re-evaluation. */
  tiers: 'tiers.evaluate',
  /** Coupons used by imported orders are marked; expired ones closed. */
  coupons: 'coupons.sync',
  /** One queued message to its channel (retried with backoff; failed and visible after the last try). */
  messageSend: 'message.send',
  /** Every due message that is not a campaign's (automations …), in batches; it wakes itself for the next. */
  messagesDeliver: 'messages.deliver',
  /** A launched campaign's audience through the send rules into queued messages. */
  campaignPlan: 'campaign.plan',
  /**
   * A scheduled campaign's audience frozen and drawn at launch (its plan job runs at the start);
   * one that starts now has its plan job draw first.
   */
  campaignDraw: 'campaign.draw',
  /**
   * A campaign's delivery: one job sends what is due (at most the throttle per minute), then queues
   * its successor; one chain per campaign instead of one job per message.
   */
  campaignDeliver: 'campaign.deliver',
  /** BG/NBD + Gamma-Gamma refit and every buyer's predicted values. */
  predictFit: 'predict.fit',
  /** The nightly backup of the whole database into HUIKE_BACKUP_DIR, with retention. */
  backup: 'backup.run',
  /** New order events to the automations they trigger (runs created, first steps taken). */
  automationEvents: 'automation.events',
  /** One automation run's next steps (a wait that is over, a resumed run). */
  automationStep: 'automation.step',
  /** Date triggers (birthdays, holidays, expiries, dormant, refill) once a day. */
  automationDaily: 'automation.daily',
  /** A review (评价) to the automations listening for reviews. */
  automationReview: 'automation.review',
  /** Segment-entry triggers: who is newly in each segment since the last evaluation (every 15 minutes). */
  automationSegments: 'automation.segments',
  /** A schedule trigger's cron fired ({automationId}). */
  automationSchedule: 'automation.schedule',
  /** The 数据分析 pre-aggregates rebuilt from the orders (after imports, nightly). */
  analyticsRebuild: 'analytics.rebuild',
  /** POST /segments/{id}/tag or /untag: a tag put on or taken off every customer of a segment (segments/service.ts). */
  segmentTag: 'segment.tag',
  /** POST /segments/{id}/snapshot: the segment's members frozen. */
  segmentSnapshot: 'segment.snapshot',
  /** POST /points/grant: points to every customer of a segment, once per customer and batch. */
  pointsGrant: 'points.grant',
  /** POST /coupons/templates/{id}/issue-segment: a coupon to each customer of a segment, once per batch. */
  couponsIssueSegment: 'coupons.issueSegment',
  /** A bulk action on a big audience: tag all, issue a coupon, grant points (audiences/service.ts). */
  bulkAction: 'audience.action',
} as const;
