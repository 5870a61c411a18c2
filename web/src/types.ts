/** Shapes of the API answers the console reads (see /docs for all fields). */
export interface PeriodKpis {
  orders: number;
  revenueFen: number;
  buyers: number;
  newBuyers: number;
  returningBuyers: number;
  returningShare: number;
  returningRevenueShare: number;
  repurchaseRate: number;
  aovFen: number;
  newCustomers: number;
  /** Orders and revenue in each currency (the money figures above are in the dashboard's currency only). */
  revenueByCurrency: { currency: string; orders: number; revenueFen: number; aovFen: number }[];
}

export interface DashboardData {
  timezone: string;
  currency: string;
  currencies: string[];
  days: number;
  today: PeriodKpis;
  period: PeriodKpis;
  totals: { customers: number; buyers: number; repeatBuyers: number; repurchaseRate: number; consented: number };
  trend: { day: string; orders: number; revenueFen: number; buyers: number; newBuyers: number }[];
}

export interface Benefits {
  discountPercent: number;
  fullReduction: { minFen: number; offFen: number }[];
  returnWindowDays: number;
  freePickup: boolean;
  priorityShipping: boolean;
  dedicatedAgent: boolean;
  birthdayPointsMultiplier: number;
  memberOnlySales: boolean;
}

export interface Tier {
  key: string;
  name: string;
  spend12mFen: number | null;
  totalSpentFen: number | null;
  growth: number | null;
  benefits: Benefits;
}

export interface TierSettings {
  tiers: Tier[];
  growthPerYuan: number;
  growthMultipliers: { category: string; multiplier: number }[];
  photoReviewGrowth: number;
  maxDowngrade: number;
}

export interface Stats {
  currency: string;
  ordersCount: number;
  paidOrders: number;
  totalSpentFen: number;
  aovFen: number;
  refundFen: number;
  refundOrders: number;
  spent12mFen: number;
  orders12m: number;
  firstOrderAt: string | null;
  lastOrderAt: string | null;
  firstPaidAt: string | null;
  lastPaidAt: string | null;
  favouriteCategory: string | null;
  province: string | null;
}

export interface CustomerSummary {
  id: string;
  name: string;
  realName: string | null;
  phone: string | null;
  email: string | null;
  province: string | null;
  city: string | null;
  marketingConsent: string;
  createdAt: string;
  rfmClass: string | null;
  lifecycle: string | null;
  tier: string | null;
  stats: Stats;
}

export interface Order {
  id: string;
  storeId: string;
  storeName: string | null;
  externalId: string;
  status: string;
  totalFen: number;
  paidFen: number;
  refundedFen: number;
  currency: string;
  createdAt: string;
  paidAt: string | null;
  title: string | null;
  province: string | null;
  city: string | null;
  activity: string | null;
  source: string | null;
}

export interface CustomerDetail extends CustomerSummary {
  gender: string | null;
  birthday: string | null;
  wechat: string | null;
  qq: string | null;
  source: string | null;
  flags: {
    isPicky: boolean;
    isBadReviewer: boolean;
    isBlacklisted: boolean;
    optOutSms: boolean;
    optOutEmail: boolean;
    optOutWechat: boolean;
  };
  consentSource: string | null;
  consentAt: string | null;
  identities: {
    id: string;
    kind: string;
    platform: string | null;
    value: string;
    storeId: string | null;
    storeName: string | null;
    createdAt: string;
  }[];
  orders: Order[];
  moreOrders: boolean;
  prediction: CustomerPrediction | null;
}

export interface CustomerPrediction {
  frequency: number;
  recencyDays: number;
  ageDays: number;
  expectedOrders30d: number;
  expectedOrders90d: number;
  expectedOrders365d: number;
  pAlive: number;
  expectedOrderValueFen: number;
  clvFen: number;
  churnBand: 'low' | 'medium' | 'high' | 'one_time';
  nextOrderDate: string | null;
  fittedAt: string;
}

export interface PredictModel {
  status: 'fitted' | 'insufficient_data' | 'never_fitted';
  message: string | null;
  fittedAt: string | null;
  fitMs: number | null;
  customers: number;
  params: {
    timeUnit: 'day';
    bgnbd: { r: number; alpha: number; a: number; b: number; logLikelihood: number };
    spend: {
      model: 'gamma-gamma' | 'average';
      p: number | null;
      q: number | null;
      gamma: number | null;
      meanOrderValueFen: number;
      customers: number;
    };
    repeatCustomers: number;
  } | null;
  settings: { horizonMonths: number; monthlyDiscount: number; holdoutDays: number };
  calibration: {
    status: 'ok' | 'insufficient_data';
    message: string | null;
    holdoutDays: number;
    calibrationEnd: string | null;
    customers: number;
    predictedTotal: number;
    actualTotal: number;
    rows: { frequency: string; customers: number; predicted: number; actual: number }[];
  } | null;
}

export interface Store {
  id: string;
  name: string;
  platform: string;
  timezone: string;
  currency: string;
  createdAt: string;
}

export interface Segment {
  id: string;
  name: string;
  description: string | null;
  rule: unknown;
  system: boolean;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface SegmentMember {
  id: string;
  name: string;
  phone: string | null;
  province: string | null;
  city: string | null;
  paidOrders: number;
  totalSpentFen: number;
  lastPaidAt: string | null;
  rfmClass: string | null;
  lifecycle: string | null;
}

export interface ImportRun {
  id: string;
  storeId: string;
  format: string;
  fileName: string;
  status: string;
  rowsRead: number;
  ordersCreated: number;
  ordersUpdated: number;
  ordersUnchanged: number;
  itemsWritten: number;
  customersCreated: number;
  rowsRejected: number;
  ordersRejected: number;
  rowsCommitted: number;
  progress: number;
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface Items<T> {
  items: T[];
}
