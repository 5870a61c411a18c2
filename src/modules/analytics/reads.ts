import type { AppContext } from '../context.js';
import { offLoop } from '../heavy/run.js';
import { effectsHere } from './effects.js';
import { warmMemoryHere } from './memory.js';
import { dailyBuyersHere, provincesInRangeHere } from './spread.js';
import {
  cohortsHere,
  distributionHere,
  overviewHere,
  productsHere,
  repurchaseHere,
  type Scope,
  timingHere,
} from './views.js';

// The 数据分析 views: off the event loop (SQLite: a read thread), under the heavy-read time limit.
export const overview = (ctx: AppContext, ws: string, s: Scope) =>
  offLoop(ctx, 'analytics.overview', overviewHere, ws, s);
export const repurchase = (ctx: AppContext, ws: string, s: Scope) =>
  offLoop(ctx, 'analytics.repurchase', repurchaseHere, ws, s);
export const cohorts = (ctx: AppContext, ws: string, s: Scope) => offLoop(ctx, 'analytics.cohorts', cohortsHere, ws, s);
export const distribution = (ctx: AppContext, ws: string, s: Scope) =>
  offLoop(ctx, 'analytics.distribution', distributionHere, ws, s);
export const products = (ctx: AppContext, ws: string, s: Scope & { limit?: number }) =>
  offLoop(ctx, 'analytics.products', productsHere, ws, s);
export const timing = (ctx: AppContext, ws: string, s: Scope) => offLoop(ctx, 'analytics.timing', timingHere, ws, s);
export const effects = (ctx: AppContext, ws: string, s: Scope) => offLoop(ctx, 'analytics.effects', effectsHere, ws, s);
export const provincesInRange = (ctx: AppContext, ws: string, s: Scope) =>
  offLoop(ctx, 'analytics.provincesInRange', provincesInRangeHere, ws, s);
export const daily = (ctx: AppContext, ws: string, s: Scope) => offLoop(ctx, 'analytics.daily', dailyBuyersHere, ws, s);

/**
 * Loads the analytics held in memory (memory.ts) for the built workspaces whose rows are not loaded, and catches up
 * (or reloads after a rebuild) those behind, where the views run; at server start and then every minute (serve.ts).
 */
export const warmAnalyticsMemory = (ctx: AppContext) => offLoop(ctx, 'analytics.memoryWarm', warmMemoryHere);
