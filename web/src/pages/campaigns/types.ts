import type { Answer, Body } from '../../api';

/** Answers of the messaging and campaign API, from the generated OpenAPI types. */
export type Campaign = Answer<'/campaigns/{id}'>;
export type CampaignStatus = Campaign['status'];
export type MessageKind = Campaign['kind'];
export type Variant = Campaign['variants'][number];
export type Content = Variant['content'];
export type CampaignInput = Body<'/campaigns', 'post'>;
export type DryRun = Answer<'/campaigns/{id}/dry-run', 'post'>;
export type Report = Answer<'/campaigns/{id}/report'>;
export type Attribution = Answer<'/campaigns/{id}/attribution'>;
export type AttributionOf = NonNullable<Attribution['overall']>;
export type Estimate = AttributionOf['conversionLift'];
export type Channel = Answer<'/messaging/channels'>['items'][number];
export type ChannelInput = Body<'/messaging/channels', 'post'>;
export type Preview = Answer<'/messaging/preview', 'post'>;
export type Message = Answer<'/messages'>['items'][number];
export type MessagingSettings = Answer<'/messaging/settings'>['settings'];
export type Segment = Answer<'/segments'>['items'][number];
export type CustomerSummary = Answer<'/customers'>['items'][number];
