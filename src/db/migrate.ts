import { Migrator, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './connect.js';
import { foundation } from './migrations/0001_foundation.js';
import { segments } from './migrations/0002_segments.js';
import { customer360 } from './migrations/0003_customer360.js';
import { points } from './migrations/0004_points.js';
import { tiers } from './migrations/0005_tiers.js';
import { coupons } from './migrations/0006_coupons.js';
import { rewards } from './migrations/0007_rewards.js';
import { couponCodes } from './migrations/0008_coupon_codes.js';
import { reviewsGrowth } from './migrations/0009_reviews_growth.js';
import { creditNotes } from './migrations/0010_credit_notes.js';
import { displayNames } from './migrations/0011_display_names.js';
import { storeCurrencyImportResume } from './migrations/0012_store_currency_import_resume.js';
import { idempotency } from './migrations/0013_idempotency.js';
import { listIndexes } from './migrations/0014_list_indexes.js';
import { messaging } from './migrations/0015_messaging.js';
import { predict } from './migrations/0016_predict.js';
import { tokenScopes } from './migrations/0018_token_scopes.js';
import { channelProviders } from './migrations/0022_channel_providers.js';
import { automations } from './migrations/0024_automations.js';
import { privacy } from './migrations/0021_privacy.js';
import { orderFacts } from './migrations/0027_order_facts.js';
import { auditLog } from './migrations/0020_audit_log.js';
import { serviceTasks } from './migrations/0025_service_tasks.js';
import { analytics } from './migrations/0026_analytics.js';
import { campaignExtras } from './migrations/0023_campaign_extras.js';
import { analyticsFirstDays } from './migrations/0030_analytics_first_days.js';
import { automationTriggers } from './migrations/0035_automation_triggers.js';
import { analyticsDayPairs } from './migrations/0033_analytics_day_pairs.js';
import { analyticsProductFirsts } from './migrations/0045_analytics_product_firsts.js';
import { analyticsMonthPairs } from './migrations/0046_analytics_month_pairs.js';
import { analyticsRangeSnapshots } from './migrations/0047_analytics_range_snapshots.js';
import { customerNameTrigram } from './migrations/0050_customer_name_trigram.js';
import { customerNameSearch } from './migrations/0051_customer_name_search.js';
import { dropCoveredIndexes } from './migrations/0052_drop_covered_indexes.js';
import { analyticsChunkedRebuild } from './migrations/0054_analytics_chunked_rebuild.js';
import { messagesChannelIndex } from './migrations/0055_messages_channel_index.js';
import { analyticsAskedRanges } from './migrations/0057_analytics_asked_ranges.js';
import { analyticsVersions } from './migrations/0058_analytics_versions.js';
import { analyticsChanges } from './migrations/0059_analytics_changes.js';
import { analyticsChangeStamps } from './migrations/0060_analytics_change_stamps.js';
import { messagesWriteCost } from './migrations/0061_messages_write_cost.js';
import { orderFactsWithoutRowid } from './migrations/0063_order_facts_without_rowid.js';
import { orderFactsCoveringKey } from './migrations/0064_order_facts_covering_key.js';
import { messagesQueueIndex } from './migrations/0067_messages_queue_index.js';
import { ordersActivityCovering } from './migrations/0065_orders_activity_covering.js';
import { messagesQueueOrder } from './migrations/0068_messages_queue_order.js';
import { orderFactsActivityCategory } from './migrations/0069_order_facts_activity_category.js';
import { derivedStatsWithoutCustomerFk } from './migrations/0071_derived_stats_without_customer_fk.js';
import { derivedStatsCustomerFkBack } from './migrations/0072_derived_stats_customer_fk_back.js';
import { customerNamePinyin } from './migrations/0073_customer_name_pinyin.js';
import { dashboardDayIndexes } from './migrations/0074_dashboard_day_indexes.js';
import { ordersPaidHour } from './migrations/0075_orders_paid_hour.js';
import { customerFileCounts } from './migrations/0076_customer_file_counts.js';
import { analyticsPairsLater } from './migrations/0077_analytics_pairs_later.js';
import { customerKeyIndexes } from './migrations/0078_customer_key_indexes.js';
import { customerDeleteIndexes } from './migrations/0079_customer_delete_indexes.js';
import { ordersBuyerNick } from './migrations/0080_orders_buyer_nick.js';
import { listFilterIndexes } from './migrations/0081_list_filter_indexes.js';
import { customerStatsPartialIndexes } from './migrations/0082_customer_stats_partial_indexes.js';
import { customerStatsPending } from './migrations/0083_customer_stats_pending.js';
import { importRunsStatsRefresh } from './migrations/0084_import_runs_stats_refresh.js';
import { customerNamePairs } from './migrations/0085_customer_name_pairs.js';
import { customerNameGrams } from './migrations/0086_customer_name_grams.js';
import { idempotencyResponses } from './migrations/0087_idempotency_responses.js';
import { jobResults } from './migrations/0088_job_results.js';
import { jobPriority } from './migrations/0089_job_priority.js';
import { loginAnyCase } from './migrations/0090_login_any_case.js';
import { replyChannelIndex } from './migrations/0091_reply_channel_index.js';
import { tagRemovals } from './migrations/0092_tag_removals.js';
import { reasonCodes } from './migrations/0037_reason_codes.js';
import { bulkActions } from './migrations/0038_bulk_actions.js';
import { automationReasons } from './migrations/0039_automation_reasons.js';
import { channelHookTokens } from './migrations/0042_channel_hook_tokens.js';

/** One migration set for both dialects; each migration is told which dialect it runs on. */
function migrations(db: Db): Record<string, Migration> {
  return {
    '0001_foundation': foundation(db.dialect),
    '0002_segments': segments(db.dialect),
    '0003_customer360': customer360(db.dialect),
    '0004_points': points(db.dialect),
    '0005_tiers': tiers(db.dialect),
    '0006_coupons': coupons(db.dialect),
    '0007_rewards': rewards(db.dialect),
    '0008_coupon_codes': couponCodes,
    '0009_reviews_growth': reviewsGrowth(db.dialect),
    '0010_credit_notes': creditNotes,
    '0011_display_names': displayNames,
    '0012_store_currency_import_resume': storeCurrencyImportResume(db.dialect),
    '0013_idempotency': idempotency(db.dialect),
    '0014_list_indexes': listIndexes(db.dialect),
    '0015_messaging': messaging(db.dialect),
    '0016_predict': predict(db.dialect),
    '0018_token_scopes': tokenScopes(db.dialect),
    '0022_channel_providers': channelProviders(db.dialect),
    '0024_automations': automations(db.dialect),
    '0021_privacy': privacy(db.dialect),
    '0027_order_facts': orderFacts(db.dialect),
    '0020_audit_log': auditLog(db.dialect),
    '0025_service_tasks': serviceTasks(db.dialect),
    '0026_analytics': analytics(db.dialect),
    '0023_campaign_extras': campaignExtras(db.dialect),
    '0030_analytics_first_days': analyticsFirstDays(db.dialect),
    '0035_automation_triggers': automationTriggers(db.dialect),
    '0033_analytics_day_pairs': analyticsDayPairs(db.dialect),
    '0037_reason_codes': reasonCodes(db.dialect),
    '0038_bulk_actions': bulkActions(db.dialect),
    '0039_automation_reasons': automationReasons(db.dialect),
    '0042_channel_hook_tokens': channelHookTokens(db.dialect),
    '0045_analytics_product_firsts': analyticsProductFirsts(db.dialect),
    '0046_analytics_month_pairs': analyticsMonthPairs(db.dialect),
    '0047_analytics_range_snapshots': analyticsRangeSnapshots(db.dialect),
    '0050_customer_name_trigram': customerNameTrigram(db.dialect),
    '0051_customer_name_search': customerNameSearch(db.dialect),
    '0052_drop_covered_indexes': dropCoveredIndexes(),
    '0054_analytics_chunked_rebuild': analyticsChunkedRebuild(db.dialect),
    '0055_messages_channel_index': messagesChannelIndex(db.dialect),
    '0057_analytics_asked_ranges': analyticsAskedRanges(db.dialect),
    '0058_analytics_versions': analyticsVersions(),
    '0059_analytics_changes': analyticsChanges(),
    '0060_analytics_change_stamps': analyticsChangeStamps(),
    '0061_messages_write_cost': messagesWriteCost(db.dialect),
    '0063_order_facts_without_rowid': orderFactsWithoutRowid(db.dialect),
    '0064_order_facts_covering_key': orderFactsCoveringKey(db.dialect),
    '0067_messages_queue_index': messagesQueueIndex(),
    '0065_orders_activity_covering': ordersActivityCovering(db.dialect),
    '0068_messages_queue_order': messagesQueueOrder(),
    '0069_order_facts_activity_category': orderFactsActivityCategory(db.dialect),
    '0071_derived_stats_without_customer_fk': derivedStatsWithoutCustomerFk(db.dialect),
    '0072_derived_stats_customer_fk_back': derivedStatsCustomerFkBack(db.dialect),
    '0073_customer_name_pinyin': customerNamePinyin(db.dialect),
    '0074_dashboard_day_indexes': dashboardDayIndexes(db.dialect),
    '0075_orders_paid_hour': ordersPaidHour(db.dialect),
    '0076_customer_file_counts': customerFileCounts(db.dialect),
    '0077_analytics_pairs_later': analyticsPairsLater(),
    '0078_customer_key_indexes': customerKeyIndexes(),
    '0079_customer_delete_indexes': customerDeleteIndexes(db.dialect),
    '0080_orders_buyer_nick': ordersBuyerNick(),
    '0081_list_filter_indexes': listFilterIndexes(),
    '0082_customer_stats_partial_indexes': customerStatsPartialIndexes(db.dialect),
    '0083_customer_stats_pending': customerStatsPending(db.dialect),
    '0084_import_runs_stats_refresh': importRunsStatsRefresh(),
    '0085_customer_name_pairs': customerNamePairs(db.dialect),
    '0086_customer_name_grams': customerNameGrams(db.dialect),
    '0087_idempotency_responses': idempotencyResponses(),
    '0088_job_results': jobResults(db.dialect),
    '0089_job_priority': jobPriority(),
    '0090_login_any_case': loginAnyCase(),
    '0091_reply_channel_index': replyChannelIndex(),
    '0092_tag_removals': tagRemovals(db.dialect),
  };
}

export async function migrateToLatest(db: Db): Promise<string[]> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(db) };
  // Migrations land from parallel branches, so a database may have applied a later number before an earlier
  // one exists; each migration touches its own tables, so running the missing one late is safe.
  const migrator = new Migrator({ db: db.kysely, provider, allowUnorderedMigrations: true });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? ''} failed: ${error instanceof Error ? error.message : String(error)}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
