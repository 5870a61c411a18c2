import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/**
 * The database as Kysely sees it. Timestamps are UTC ISO text on both dialects (PostgreSQL's
 * timestamptz is parsed back to ISO text in db/connect.ts); JSON is text on SQLite and jsonb on
 * PostgreSQL, always read through db/json.ts. Every business table has workspace_id in its keys.
 */
type Timestamp = string;
type Json = ColumnType<unknown, string, string>;

export interface WorkspacesTable {
  id: string;
  name: string;
  timezone: string;
  created_at: Timestamp;
}

export interface UsersTable {
  workspace_id: string;
  id: string;
  login: string;
  name: string;
  password_hash: string;
  role: string;
  created_at: Timestamp;
  disabled_at: Timestamp | null;
  /** The same person's user rows in several workspaces share it (null: the row's own id). */
  account_id: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface SessionsTable {
  workspace_id: string;
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Timestamp;
  expires_at: Timestamp;
}

export interface ApiTokensTable {
  workspace_id: string;
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: Timestamp;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  /** "read" or "read write" (space-separated). */
  scopes: Generated<string>;
  expires_at: Timestamp | null;
}

export interface StoresTable {
  workspace_id: string;
  id: string;
  platform: string;
  name: string;
  timezone: string;
  /** ISO 4217 code (CNY, GBP, USD …): every amount of the store's orders is in it. */
  currency: Generated<string>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CustomersTable {
  workspace_id: string;
  id: string;
  display_name: string;
  real_name: string | null;
  /** Pinyin search keys of the names and nicks, space-separated (core/pinyin-keys.ts; 0073). */
  name_pinyin: string | null;
  phone: string | null;
  email: string | null;
  province: string | null;
  city: string | null;
  gender: string | null;
  birthday: string | null;
  marketing_consent: string;
  consent_source: string | null;
  consent_at: Timestamp | null;
  first_store_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  wechat: ColumnType<string | null, string | null | undefined, string | null>;
  qq: ColumnType<string | null, string | null | undefined, string | null>;
  source: ColumnType<string | null, string | null | undefined, string | null>;
  is_picky: Generated<number>;
  is_bad_reviewer: Generated<number>;
  is_blacklisted: Generated<number>;
  opt_out_sms: Generated<number>;
  opt_out_email: Generated<number>;
  opt_out_wechat: Generated<number>;
  /** When the customer's personal data was erased on request (PIPL); null: never. */
  erased_at: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface CustomerIdentitiesTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  kind: string;
  scope: string;
  value: string;
  store_id: string | null;
  created_at: Timestamp;
}

export interface OrdersTable {
  workspace_id: string;
  id: string;
  store_id: string;
  external_id: string;
  customer_id: string | null;
  status: string;
  platform_status: string | null;
  goods_fen: number;
  shipping_fen: number;
  discount_fen: number;
  total_fen: number;
  paid_fen: number;
  refunded_fen: number;
  created_at: Timestamp;
  paid_at: Timestamp | null;
  shipped_at: Timestamp | null;
  signed_at: Timestamp | null;
  closed_at: Timestamp | null;
  buyer_nick: string | null;
  receiver_name: string | null;
  receiver_phone: string | null;
  province: string | null;
  city: string | null;
  district: string | null;
  address: string | null;
  buyer_message: string | null;
  seller_note: string | null;
  source: string | null;
  activity: string | null;
  /** A presale order: when its balance (尾款) window closes. */
  balance_due_at: ColumnType<string | null, string | null | undefined, string | null>;
  coupon_code: ColumnType<string | null, string | null | undefined, string | null>;
  /** 'order', or 'credit': a credit note / cancellation document (a refund of its own). */
  kind: ColumnType<string, string | undefined, string>;
  /** The export id of the order a credit note cancels, when the file names it. */
  credit_of: ColumnType<string | null, string | null | undefined, string | null>;
  title: string | null;
  item_count: number | null;
  raw: Json;
  content_hash: string;
  import_run_id: string | null;
  imported_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrderItemsTable {
  workspace_id: string;
  order_id: string;
  line_key: string;
  title: string | null;
  sku: string | null;
  external_item_id: string | null;
  category: string | null;
  quantity: number;
  price_fen: number;
  paid_fen: number | null;
  refund_status: string | null;
}

/** Per customer and order-dimension value: the purchases that had it (core/order-facts.ts). */
export interface CustomerOrderFactsTable {
  workspace_id: string;
  dim: string;
  value: string;
  customer_id: string;
  orders: number;
  spend_fen: number;
  first_at: Timestamp;
  last_at: Timestamp;
}

export interface CustomerStatsTable {
  workspace_id: string;
  customer_id: string;
  orders_count: number;
  paid_orders: number;
  first_order_at: Timestamp | null;
  last_order_at: Timestamp | null;
  first_paid_at: Timestamp | null;
  last_paid_at: Timestamp | null;
  total_spent_fen: number;
  refund_fen: number;
  refund_orders: number;
  aov_fen: number;
  spent_12m_fen: number;
  orders_12m: number;
  favourite_category: string | null;
  province: string | null;
  as_of: Timestamp;
}

export interface ImportRunsTable {
  workspace_id: string;
  id: string;
  store_id: string;
  format: string;
  file_name: string;
  file_path: string | null;
  mapping: Json | null;
  status: string;
  rows_read: number;
  orders_created: number;
  orders_updated: number;
  orders_unchanged: number;
  items_written: number;
  customers_created: number;
  rows_rejected: number;
  /** Orders (or order lines records) rejected; one rejected order may span several rows. */
  orders_rejected: Generated<number>;
  /** Rows whose results are committed: where a resumed run starts reading again. */
  rows_committed: Generated<number>;
  /** hostname:pid of the process executing the run, and its last heartbeat. */
  owner: string | null;
  heartbeat_at: Timestamp | null;
  bytes_total: number | null;
  bytes_read: number;
  /** After the last row: the buyers whose stats the run refreshes, and how many of them are done (0084). */
  stats_total: number | null;
  stats_done: number | null;
  message: string | null;
  created_by: string | null;
  started_at: Timestamp;
  finished_at: Timestamp | null;
  updated_at: Timestamp;
}

export interface ImportErrorsTable {
  workspace_id: string;
  run_id: string;
  seq: number;
  line: number;
  column_name: string | null;
  reason: string;
  value: string | null;
  /** The reason as a key of core/reasons.ts and its parameters (JSON); null on rows written before 0037. */
  reason_key: ColumnType<string | null, string | null | undefined, string | null>;
  reason_params: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface JobsTable {
  workspace_id: string;
  id: string;
  kind: string;
  payload: Json;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: Timestamp;
  locked_by: string | null;
  locked_until: Timestamp | null;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
  /** What the finished job reported (0088), for the request waiting for it; null when it reports nothing. */
  result: Json | null;
  /** Lower first among due jobs (0089): 0 for a job a request waits for, 1 for the rest. */
  priority: Generated<number>;
}

export interface SchedulesTable {
  workspace_id: string;
  name: string;
  cron: string;
  timezone: string;
  job_kind: string;
  payload: Json;
  enabled: Generated<number>;
  next_run_at: Timestamp;
  last_run_at: Timestamp | null;
}

export interface TagsTable {
  workspace_id: string;
  id: string;
  name: string;
  color: string;
  created_at: Timestamp;
}

export interface CustomerTagsTable {
  workspace_id: string;
  customer_id: string;
  tag_id: string;
  created_at: Timestamp;
  created_by: string | null;
}

/** A tag taken off a customer (migration 0092): the timeline's 去标签 entry, and its 打标签 before it. */
export interface CustomerTagRemovalsTable {
  workspace_id: string;
  customer_id: string;
  tag_id: string;
  removed_at: Timestamp;
  tag_name: string;
  added_at: Timestamp;
  added_by: string | null;
  removed_by: string | null;
}

export interface GroupsTable {
  workspace_id: string;
  id: string;
  name: string;
  created_at: Timestamp;
}

export interface CustomerGroupsTable {
  workspace_id: string;
  customer_id: string;
  group_id: string;
  created_at: Timestamp;
}

export interface NotesTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  body: string;
  author_id: string | null;
  created_at: Timestamp;
}

export interface SegmentsTable {
  workspace_id: string;
  id: string;
  name: string;
  description: string | null;
  rule: Json;
  system_key: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CustomerRfmTable {
  workspace_id: string;
  customer_id: string;
  r_score: number;
  f_score: number;
  m_score: number;
  rfm_class: string;
  value_tier: string;
  lifecycle: string;
  computed_at: Timestamp;
}

export interface PredictionModelsTable {
  workspace_id: string;
  status: string;
  message: string | null;
  params: Json | null;
  calibration: Json | null;
  customers: number;
  fit_ms: number;
  fitted_at: Timestamp;
}

export interface CustomerPredictionsTable {
  workspace_id: string;
  customer_id: string;
  frequency: number;
  recency_days: number;
  age_days: number;
  expected_orders_30d: number;
  expected_orders_90d: number;
  expected_orders_365d: number;
  p_alive: number;
  expected_order_value_fen: number;
  clv_fen: number;
  churn_band: string;
  next_order_date: string | null;
  fitted_at: Timestamp;
}

export interface WorkspaceSettingsTable {
  workspace_id: string;
  key: string;
  value: Json;
  updated_at: Timestamp;
}

export interface CustomerMergesTable {
  workspace_id: string;
  id: string;
  target_id: string;
  source_id: string;
  source_snapshot: Json;
  moved: Json;
  merged_by: string | null;
  merged_at: Timestamp;
  undone_at: Timestamp | null;
}

export interface SegmentSnapshotsTable {
  workspace_id: string;
  id: string;
  segment_id: string;
  segment_name: string;
  rule: Json;
  customers: number;
  purpose: string | null;
  created_at: Timestamp;
}

export interface SegmentSnapshotMembersTable {
  workspace_id: string;
  snapshot_id: string;
  customer_id: string;
}

export interface PointsAccountsTable {
  workspace_id: string;
  customer_id: string;
  updated_at: Timestamp;
}

export interface PointsEntriesTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  kind: string;
  points: number;
  source: string;
  reason: string | null;
  order_id: string | null;
  available_at: Timestamp | null;
  expires_at: Timestamp | null;
  idempotency_key: string;
  created_by: string | null;
  created_at: Timestamp;
}

export interface PointsAllocationsTable {
  workspace_id: string;
  debit_id: string;
  lot_id: string;
  points: number;
}

export interface MemberTiersTable {
  workspace_id: string;
  customer_id: string;
  tier_key: string;
  floor_key: string | null;
  cycle_started_at: Timestamp;
  updated_at: Timestamp;
}

export interface ReviewsTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  order_id: string | null;
  rating: string;
  has_photo: number;
  body: string | null;
  reviewed_at: Timestamp;
  created_at: Timestamp;
}

export interface GrowthEntriesTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  points: number;
  source: string;
  reason: string | null;
  idempotency_key: string;
  created_at: Timestamp;
}

export interface TierHistoryTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  from_key: string | null;
  to_key: string;
  reason: string;
  /** The reason as a key of core/reasons.ts and its parameters (JSON); null on rows written before 0037. */
  reason_key: ColumnType<string | null, string | null | undefined, string | null>;
  reason_params: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string | null;
  created_at: Timestamp;
}

export interface CouponTemplatesTable {
  workspace_id: string;
  id: string;
  name: string;
  rules: Json;
  validity: Json;
  per_customer_limit: number;
  total_stock: number | null;
  issued: number;
  compensation: number;
  archived_at: Timestamp | null;
  /** No issuing while paused (0038); the coupons already out stay valid. */
  paused_at: Timestamp | null;
  created_at: Timestamp;
}

export interface CouponsTable {
  workspace_id: string;
  id: string;
  template_id: string;
  customer_id: string;
  code: string;
  status: string;
  valid_from: Timestamp;
  valid_to: Timestamp;
  value_fen: number | null;
  source: string;
  idempotency_key: string;
  issued_at: Timestamp;
  used_at: Timestamp | null;
  order_id: string | null;
  discount_fen: number | null;
}

export interface RewardsTable {
  workspace_id: string;
  id: string;
  name: string;
  kind: string;
  points_cost: number;
  stock: number | null;
  coupon_template_id: string | null;
  active: number;
  /** Archived rewards leave the catalogue; their redemptions stay (0038). */
  archived_at: Timestamp | null;
  created_at: Timestamp;
}

export interface BulkActionsTable {
  workspace_id: string;
  id: string;
  action_key: string;
  kind: string;
  segment_id: string;
  segment_name: string;
  params: Json;
  status: string;
  audience: number;
  result: Json | null;
  error: string | null;
  created_by: string | null;
  created_at: Timestamp;
  finished_at: Timestamp | null;
}

export interface RewardRedemptionsTable {
  workspace_id: string;
  id: string;
  reward_id: string;
  customer_id: string;
  points_entry_id: string;
  coupon_id: string | null;
  status: string;
  idempotency_key: string;
  created_at: Timestamp;
  voided_at: Timestamp | null;
}

export interface MessagingChannelsTable {
  workspace_id: string;
  id: string;
  name: string;
  kind: string;
  medium: string;
  config: Json;
  secret: string | null;
  hook_token: string | null;
  /** 1 once a message names the channel (set by `holdChannel` in the transaction writing it): never deleted then. */
  in_use: Generated<number>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessagesTable {
  workspace_id: string;
  id: string;
  source_type: string;
  source_id: string;
  step: string;
  customer_id: string;
  channel_id: string;
  kind: string;
  medium: string;
  variant: string | null;
  status: string;
  reason: string | null;
  detail: string | null;
  contact: string | null;
  contact_key: string | null;
  subject: string | null;
  body: string | null;
  parts: Generated<number>;
  cost_fen: Generated<number>;
  send_at: Timestamp | null;
  sent_at: Timestamp | null;
  attempts: Generated<number>;
  error: string | null;
  provider_ref: string | null;
  clicks: Generated<number>;
  delivery: string | null;
  delivered_at: Timestamp | null;
  delivery_error: string | null;
  throttled: Generated<number>;
  /** The coupon issued with this message (campaigns with a coupon template). */
  coupon_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface MessageLinksTable {
  workspace_id: string;
  code: string;
  message_id: string;
  customer_id: string;
  kind: string;
  url: string | null;
  clicks: Generated<number>;
  first_clicked_at: Timestamp | null;
  last_clicked_at: Timestamp | null;
  created_at: Timestamp;
}

export interface InboundRepliesTable {
  workspace_id: string;
  id: string;
  channel_id: string;
  sender: string;
  body: string;
  customer_id: string | null;
  action: string;
  received_at: Timestamp;
}

export interface CampaignsTable {
  workspace_id: string;
  id: string;
  name: string;
  status: string;
  kind: string;
  channel_id: string;
  segment_id: string;
  snapshot_id: string | null;
  content: Json;
  holdout_pct: number;
  seed: string;
  budget_fen: number | null;
  attribution_days: number;
  coupon_template_id: string | null;
  /** now | at | window */
  schedule: Generated<string>;
  start_at: Timestamp | null;
  throttle_per_minute: number | null;
  created_by: string | null;
  launched_at: Timestamp | null;
  planned_at: Timestamp | null;
  finished_at: Timestamp | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface CampaignRecipientsTable {
  workspace_id: string;
  campaign_id: string;
  customer_id: string;
  grp: string;
}

export interface ServiceTasksTable {
  workspace_id: string;
  id: string;
  type: string;
  title: string;
  customer_id: string;
  order_id: string | null;
  status: string;
  priority: string;
  due_at: Timestamp;
  assignee_id: string | null;
  source: string;
  source_ref: string | null;
  dedupe_key: string | null;
  notes: string | null;
  outcome: string | null;
  outcome_tag: string | null;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
  started_at: Timestamp | null;
  closed_at: Timestamp | null;
}

export interface SurveysTable {
  workspace_id: string;
  id: string;
  name: string;
  title: string;
  intro: string | null;
  thanks: string | null;
  questions: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
  archived_at: Timestamp | null;
}

export interface SurveyInvitationsTable {
  workspace_id: string;
  /** The link code. */
  id: string;
  survey_id: string;
  customer_id: string;
  order_id: string | null;
  ref: string;
  created_at: Timestamp;
  opened_at: Timestamp | null;
  answered_at: Timestamp | null;
}

export interface SurveyResponsesTable {
  workspace_id: string;
  id: string;
  survey_id: string;
  invitation_id: string;
  customer_id: string;
  answers: Json;
  submitted_at: Timestamp;
}

export interface SurveyAnswersTable {
  workspace_id: string;
  response_id: string;
  question_id: string;
  survey_id: string;
  kind: string;
  score: number | null;
  value: string | null;
}

export interface FeedbackTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  order_id: string | null;
  source: string;
  source_id: string | null;
  category: string;
  sentiment: string;
  body: string | null;
  created_by: string | null;
  occurred_at: Timestamp;
  created_at: Timestamp;
}

export interface ConsentEventsTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  /** marketing | sms | email | wechat */
  channel: string;
  old_value: string | null;
  new_value: string;
  source: string;
  detail: string | null;
  actor_id: string | null;
  created_at: Timestamp;
}

export interface PiplRequestsTable {
  workspace_id: string;
  id: string;
  customer_id: string;
  kind: string;
  requested_by: string | null;
  requested_by_login: string | null;
  reason: string | null;
  summary: Json;
  created_at: Timestamp;
}

export interface ErasedIdentitiesTable {
  workspace_id: string;
  digest: string;
  customer_id: string;
  request_id: string;
  erased_at: Timestamp;
}

export interface AnalyticsBuyerDaysTable {
  workspace_id: string;
  store_id: string;
  customer_id: string;
  day: string;
  orders: number;
  revenue_fen: number;
  /** The buyer's first purchase day in this store (0030). */
  store_first_day: string;
  /** The buyer's first purchase day in all the stores of this store's currency (0030). */
  currency_first_day: string;
}

export interface AnalyticsHoursTable {
  workspace_id: string;
  store_id: string;
  day: string;
  hour: number;
  created_orders: number;
  created_paid: number;
  recovered_orders: number;
  recovered_fen: number;
  paid_orders: number;
  revenue_fen: number;
}

export interface AnalyticsProductDaysTable {
  workspace_id: string;
  store_id: string;
  day: string;
  product: string;
  customer_id: string;
  orders: number;
  units: number;
  revenue_fen: number;
}

/** Each product's first sale day per store (0045), for the slow sellers. */
export interface AnalyticsProductFirstsTable {
  workspace_id: string;
  store_id: string;
  product: string;
  first_day: string;
}

/** The ranges whose per-buyer answers are kept ready (0047), with the birthdays cutting their age bands. */
export interface AnalyticsRangesTable {
  workspace_id: string;
  range_from: string;
  range_to: string;
  cut18: string;
  cut25: string;
  cut30: string;
  cut35: string;
  cut40: string;
  cut50: string;
  /** 0 while the running rebuild fills it (0054): not read by the views. */
  ready: Generated<number>;
}

/** A running analytics rebuild (0054): what it builds for and the last customer id it has redone. */
export interface AnalyticsRebuildsTable {
  workspace_id: string;
  fingerprint: string;
  cursor: string;
  done: number;
  chunks: number;
  started_at: string;
  /** 1 while a build nothing reads yet leaves the day pairs to its end (0077). */
  pairs_later: Generated<number>;
  /** The day-pair rows of that count copied so far (0077). */
  pairs_copied: Generated<number>;
}

/** A customer the order upkeep left while a build counted the day pairs later: redone after them (0077). */
export interface AnalyticsRedoTable {
  workspace_id: string;
  customer_id: string;
}

/** A range asked for that was not kept: the next rebuild keeps it (0057, analytics/asked.ts). */
export interface AnalyticsAskedRangesTable {
  workspace_id: string;
  range_from: string;
  range_to: string;
  asked_at: string;
}

/** Raised with every write to the buyer-day, product-day rows and people facts (0058, analytics/version.ts). */
export interface AnalyticsVersionsTable {
  workspace_id: string;
  version: number;
}

/**
 * The customer file's totals, kept by triggers (0076): a workspace's are the sums of its rows (one on SQLite; rows of
 * differences on PostgreSQL, folded by modules/customers/file-counts.ts).
 */
export interface CustomerFileCountsTable {
  workspace_id: string;
  id: Generated<number>;
  customers: Generated<number>;
  consented: Generated<number>;
  buyers: Generated<number>;
  repeat_buyers: Generated<number>;
}

/** Customers whose stats, order facts and analytics buyer rows wait for a refresh (an import's buyers, 0083). */
export interface CustomerStatsPendingTable {
  workspace_id: string;
  customer_id: string;
}

/** What each analytics data version changed: the customers re-read, or `whole` = 1 for many at once (0059). */
export interface AnalyticsChangesTable {
  workspace_id: string;
  version: number;
  customers: Generated<string>;
  whole: Generated<number>;
  /** A random id per change (0060): a file of the analytics in memory is used only where its stamp still is. */
  stamp: string | null;
}

/** Buyers of a kept range per scope, dimension (freq, aov, age, gender, city, province) and key (0047). */
export interface AnalyticsRangeBandsTable {
  workspace_id: string;
  scope: string;
  range_from: string;
  range_to: string;
  dim: string;
  key: string;
  buyers: number;
  orders: number;
  revenue_fen: number;
}

/** Products of a kept range per scope (0047). */
export interface AnalyticsRangeProductsTable {
  workspace_id: string;
  scope: string;
  range_from: string;
  range_to: string;
  product: string;
  units: number;
  orders: number;
  revenue_fen: number;
  buyers: number;
  repeaters: number;
}

/** The people facts each buyer is counted under in the kept ranges (0047). */
export interface AnalyticsBuyerAttrsTable {
  workspace_id: string;
  customer_id: string;
  has_customer: number;
  province: string | null;
  gender: string | null;
  city: string | null;
  birthday: string | null;
}

/** Buyer-day rows folded per pair of days (0033; see that migration for the kinds). */
export interface AnalyticsDayPairsTable {
  workspace_id: string;
  scope: string;
  kind: string;
  a: string;
  b: string;
  rows: number;
  singles: number;
  new_singles: number;
  orders: number;
  revenue_fen: number;
}

export interface AnalyticsCohortsTable {
  workspace_id: string;
  store_id: string;
  cohort_month: string;
  active_month: string;
  buyers: number;
}

export interface AnalyticsBuildsTable {
  workspace_id: string;
  built_at: Timestamp;
  orders: number;
  build_ms: number;
  /** The stores' currencies the build grouped by (0054), JSON; null before. Since 0074 also the purchase rule and the
   * zone offset the rows were read under (`rule`, `offset`). */
  stores: string | null;
}

export interface AudienceListsTable {
  workspace_id: string;
  id: string;
  name: string;
  file_name: string | null;
  rows: number;
  matched: number;
  unmatched: number;
  created_by: string | null;
  created_at: Timestamp;
}

export interface AudienceListMembersTable {
  workspace_id: string;
  list_id: string;
  customer_id: string;
}

export interface AudienceListUnmatchedTable {
  workspace_id: string;
  list_id: string;
  line: number;
  value: string;
  reason: string;
}

export interface Database {
  consent_events: ConsentEventsTable;
  pipl_requests: PiplRequestsTable;
  erased_identities: ErasedIdentitiesTable;
  service_tasks: ServiceTasksTable;
  surveys: SurveysTable;
  survey_invitations: SurveyInvitationsTable;
  survey_responses: SurveyResponsesTable;
  survey_answers: SurveyAnswersTable;
  feedback: FeedbackTable;
  analytics_buyer_days: AnalyticsBuyerDaysTable;
  analytics_hours: AnalyticsHoursTable;
  analytics_product_days: AnalyticsProductDaysTable;
  analytics_product_firsts: AnalyticsProductFirstsTable;
  analytics_cohorts: AnalyticsCohortsTable;
  analytics_day_pairs: AnalyticsDayPairsTable;
  analytics_ranges: AnalyticsRangesTable;
  analytics_range_bands: AnalyticsRangeBandsTable;
  analytics_range_products: AnalyticsRangeProductsTable;
  analytics_buyer_attrs: AnalyticsBuyerAttrsTable;
  analytics_builds: AnalyticsBuildsTable;
  analytics_rebuilds: AnalyticsRebuildsTable;
  analytics_redo: AnalyticsRedoTable;
  analytics_asked_ranges: AnalyticsAskedRangesTable;
  analytics_versions: AnalyticsVersionsTable;
  analytics_changes: AnalyticsChangesTable;
  customer_file_counts: CustomerFileCountsTable;
  customer_stats_pending: CustomerStatsPendingTable;
  audience_lists: AudienceListsTable;
  audience_list_members: AudienceListMembersTable;
  audience_list_unmatched: AudienceListUnmatchedTable;
  messaging_channels: MessagingChannelsTable;
  messages: MessagesTable;
  message_links: MessageLinksTable;
  inbound_replies: InboundRepliesTable;
  campaigns: CampaignsTable;
  campaign_recipients: CampaignRecipientsTable;
  rewards: RewardsTable;
  reward_redemptions: RewardRedemptionsTable;
  coupon_templates: CouponTemplatesTable;
  coupons: CouponsTable;
  member_tiers: MemberTiersTable;
  reviews: ReviewsTable;
  growth_entries: GrowthEntriesTable;
  tier_history: TierHistoryTable;
  points_accounts: PointsAccountsTable;
  points_entries: PointsEntriesTable;
  points_allocations: PointsAllocationsTable;
  customer_merges: CustomerMergesTable;
  segment_snapshots: SegmentSnapshotsTable;
  bulk_actions: BulkActionsTable;
  segment_snapshot_members: SegmentSnapshotMembersTable;
  tags: TagsTable;
  customer_tags: CustomerTagsTable;
  customer_tag_removals: CustomerTagRemovalsTable;
  groups: GroupsTable;
  customer_groups: CustomerGroupsTable;
  notes: NotesTable;
  segments: SegmentsTable;
  customer_rfm: CustomerRfmTable;
  prediction_models: PredictionModelsTable;
  customer_predictions: CustomerPredictionsTable;
  workspace_settings: WorkspaceSettingsTable;
  workspaces: WorkspacesTable;
  users: UsersTable;
  sessions: SessionsTable;
  api_tokens: ApiTokensTable;
  stores: StoresTable;
  customers: CustomersTable;
  customer_identities: CustomerIdentitiesTable;
  orders: OrdersTable;
  order_items: OrderItemsTable;
  customer_stats: CustomerStatsTable;
  customer_order_facts: CustomerOrderFactsTable;
  import_runs: ImportRunsTable;
  import_errors: ImportErrorsTable;
  jobs: JobsTable;
  schedules: SchedulesTable;
  idempotency_keys: IdempotencyKeysTable;
  order_events: OrderEventsTable;
  store_webhooks: StoreWebhooksTable;
  webhook_receipts: WebhookReceiptsTable;
  automations: AutomationsTable;
  automation_versions: AutomationVersionsTable;
  automation_runs: AutomationRunsTable;
  automation_steps: AutomationStepsTable;
  automation_audience: AutomationAudienceTable;
  audit_log: AuditLogTable;
}

/** Append-only (triggers refuse UPDATE and DELETE). */
export interface AuditLogTable {
  workspace_id: string;
  id: string;
  at: Timestamp;
  actor_id: string | null;
  actor_login: string | null;
  via: string;
  action: string;
  target: string | null;
  details: Json | null;
  ip: string | null;
}

export interface IdempotencyKeysTable {
  workspace_id: string;
  key: string;
  route: string;
  fingerprint: string;
  created_at: string;
  /** The first request's answer (0087): null while it runs; the body null when it was not kept. */
  response_status: number | null;
  response_body: string | null;
}

export type Store = Selectable<StoresTable>;
export type Customer = Selectable<CustomersTable>;
export type Order = Selectable<OrdersTable>;
export type NewOrder = Insertable<OrdersTable>;
export type OrderUpdate = Updateable<OrdersTable>;
export type Job = Selectable<JobsTable>;
export type ImportRun = Selectable<ImportRunsTable>;

/** Every observed change of an order (from an import, the API or a webhook), with when it happened. */
export interface OrderEventsTable {
  workspace_id: string;
  id: string;
  order_id: string;
  store_id: string;
  customer_id: string | null;
  kind: string;
  happened_at: Timestamp;
  observed_at: Timestamp;
  source: string;
}

export interface StoreWebhooksTable {
  workspace_id: string;
  store_id: string;
  secret: string;
  created_at: Timestamp;
}

export interface WebhookReceiptsTable {
  workspace_id: string;
  store_id: string;
  webhook_id: string;
  topic: string;
  received_at: Timestamp;
}

export interface AutomationsTable {
  workspace_id: string;
  id: string;
  builtin: string | null;
  name: string;
  enabled: number;
  version: number;
  definition: Json;
  settings: Json | null;
  /** A segment-entry trigger: when its segment was last evaluated (null: not yet, the first one is a baseline). */
  audience_checked_at: ColumnType<string | null, string | null | undefined, string | null>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A segment-entry trigger's segment members at its last evaluation. */
export interface AutomationAudienceTable {
  workspace_id: string;
  automation_id: string;
  customer_id: string;
  entered_at: Timestamp;
}

export interface AutomationVersionsTable {
  workspace_id: string;
  automation_id: string;
  version: number;
  definition: Json;
  created_at: Timestamp;
}

export interface AutomationRunsTable {
  workspace_id: string;
  id: string;
  automation_id: string;
  version: number;
  customer_id: string;
  order_id: string | null;
  trigger_key: string;
  trigger_at: Timestamp;
  status: string;
  cursor: number;
  next_at: Timestamp | null;
  reason: string | null;
  context: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
  reason_key: ColumnType<string | null, string | null | undefined, string | null>;
  reason_params: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface AutomationStepsTable {
  workspace_id: string;
  run_id: string;
  step_id: string;
  status: string;
  reason: string | null;
  at: Timestamp;
  reason_key: ColumnType<string | null, string | null | undefined, string | null>;
  reason_params: ColumnType<string | null, string | null | undefined, string | null>;
}
