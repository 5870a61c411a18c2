import { effectsHere } from '../analytics/effects.js';
import { warmMemoryHere } from '../analytics/memory.js';
import { dashboardHere, provincesHere } from '../analytics/service.js';
import { dailyBuyersHere, provincesInRangeHere } from '../analytics/spread.js';
import {
  cohortsHere,
  distributionHere,
  overviewHere,
  productsHere,
  repurchaseHere,
  timingHere,
} from '../analytics/views.js';
import { listAuditHere } from '../audit/service.js';
import { dryRunDefinition } from '../automations/dry-run.js';
import { attributionHere, campaignFiguresHere, compareHere } from '../campaigns/report.js';
import { dryRun as campaignDryRun } from '../campaigns/service.js';
import { couponReportHere } from '../coupons/service.js';
import { customerExportRows } from '../customers/export.js';
import { previewTiers, tierMembersHere } from '../membership/service.js';
import { countCustomersHere, searchPageHere } from '../customers/repo.js';
import { messagesPageHere } from '../messaging/service.js';
import { ordersPageHere } from '../orders/service.js';
import { liabilityHere } from '../points/service.js';
import { rfmMatrixHere, rfmSummaryHere } from '../segments/rfm.js';
import { countRuleHere, exportPageHere, ruleMembersHere } from '../segments/service.js';

/**
 * The heavy reads that may run on a read thread, by name (a thread receives the name and the
 * arguments, never a function). Each takes the context first and only reads.
 */
export const HEAVY_TASKS = {
  'customers.count': countCustomersHere,
  'customers.search': searchPageHere,
  'orders.page': ordersPageHere,
  'messages.page': messagesPageHere,
  'audit.page': listAuditHere,
  'segments.count': countRuleHere,
  'segments.members': ruleMembersHere,
  'segments.exportPage': exportPageHere,
  'segments.rfmMatrix': rfmMatrixHere,
  'segments.rfmSummary': rfmSummaryHere,
  'analytics.dashboard': dashboardHere,
  'analytics.provinces': provincesHere,
  'analytics.overview': overviewHere,
  'analytics.repurchase': repurchaseHere,
  'analytics.cohorts': cohortsHere,
  'analytics.distribution': distributionHere,
  'analytics.products': productsHere,
  'analytics.timing': timingHere,
  'analytics.effects': effectsHere,
  'analytics.provincesInRange': provincesInRangeHere,
  'analytics.daily': dailyBuyersHere,
  'analytics.memoryWarm': warmMemoryHere,
  'points.liability': liabilityHere,
  'coupons.report': couponReportHere,
  'automations.dryRun': dryRunDefinition,
  'tiers.members': tierMembersHere,
  'tiers.preview': previewTiers,
  'campaigns.dryRun': campaignDryRun,
  'campaigns.report': campaignFiguresHere,
  'campaigns.attribution': attributionHere,
  'campaigns.compare': compareHere,
  'customers.export': customerExportRows,
};
