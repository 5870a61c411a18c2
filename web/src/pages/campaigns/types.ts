/**
 * Answers of the messaging and campaign API (src/modules/messaging/schema.ts, src/modules/campaigns/schema.ts).
 * Kept in one small file so they can be swapped for the generated OpenAPI types in one place.
 */
export type CampaignStatus = 'draft' | 'running' | 'paused' | 'done' | 'cancelled';
export type MessageKind = 'marketing' | 'care';

export interface Content {
  subject?: string;
  text: string;
  html?: string;
}
export interface Variant {
  key: string;
  weight: number;
  content: Content;
}

export interface Campaign {
  id: string;
  name: string;
  status: CampaignStatus;
  kind: MessageKind;
  channelId: string;
  segmentId: string;
  snapshotId: string | null;
  variants: Variant[];
  holdoutPct: number;
  seed: string;
  budgetFen: number | null;
  attributionDays: number;
  linkUrl: string | null;
  createdBy: string | null;
  launchedAt: string | null;
  plannedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface CampaignInput {
  name: string;
  kind: MessageKind;
  channelId?: string;
  segmentId: string;
  variants: Variant[];
  holdoutPct: number;
  budgetFen: number | null;
  attributionDays: number;
  linkUrl: string | null;
}

export interface DryRun {
  audience: number;
  control: number;
  treated: number;
  variants: Record<string, number>;
  wouldReceive: number;
  deferred: number;
  heldBack: Record<string, number>;
  parts: number;
  costFen: number;
}

export interface Report {
  status: CampaignStatus;
  audience: number;
  control: number;
  targeted: number;
  heldBack: Record<string, number>;
  queued: number;
  deferred: number;
  sent: number;
  failed: number;
  cancelled: number;
  clicked: number;
  optedOut: number;
  costFen: number;
  variants: { key: string; targeted: number; sent: number; failed: number; clicked: number }[];
}

export interface Estimate {
  value: number;
  low: number;
  high: number;
}
export interface GroupOutcome {
  customers: number;
  conversion: number;
  orders: number;
  revenueFen: number;
}
export interface AttributionOf {
  treated: GroupOutcome;
  control: GroupOutcome;
  conversionLift: Estimate;
  relativeLift: number | null;
  incrementalConversions: Estimate;
  incrementalOrders: Estimate;
  incrementalRevenueFen: Estimate;
}
export interface Attribution {
  days: number;
  from: string;
  to: string;
  costFen: number;
  roi: number | null;
  overall: AttributionOf | null;
  variants: { key: string; attribution: AttributionOf | null }[];
}

export type ChannelKind = 'outbox' | 'email' | 'webhook' | 'platform';
export type Medium = 'sms' | 'email' | 'wechat' | 'platform';
export interface Channel {
  id: string;
  name: string;
  kind: ChannelKind;
  medium: Medium;
  config: Record<string, unknown>;
  hasCredentials: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface Preview {
  text: string;
  subject: string | null;
  missing: string[];
  chars: number;
  parts: number;
  costFen: number;
  problems: string[];
  decision: { action: 'send' | 'defer' | 'skip'; reason: string | null; reasonLabel: string | null; at: string | null };
}

export interface MessagingSettings {
  windows: { start: string; end: string }[];
  capDays: number;
  capCount: number;
  acceptUnknownConsent: boolean;
  unknownConsentDays: number;
  smsSignature: string;
  smsOptOutText: string;
  smsPriceFen: number;
  publicUrl: string;
}

export interface Message {
  id: string;
  sourceType: string;
  sourceId: string;
  customerId: string;
  channelId: string;
  kind: string;
  medium: string;
  variant: string | null;
  status: string;
  reason: string | null;
  reasonLabel: string | null;
  detail: string | null;
  contact: string | null;
  subject: string | null;
  body: string | null;
  parts: number;
  costFen: number;
  sendAt: string | null;
  sentAt: string | null;
  attempts: number;
  error: string | null;
  clicks: number;
  createdAt: string;
}
