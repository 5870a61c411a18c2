/**
 * Feedback records (反馈): what a customer said about the shop, from a review, a chat or a survey,
 * sorted into a complaint category with a sentiment. Pure: no I/O.
 */
export const FEEDBACK_SOURCES = ['review', 'chat', 'survey'] as const;
export type FeedbackSource = (typeof FEEDBACK_SOURCES)[number];

export const FEEDBACK_CATEGORIES = ['product', 'logistics', 'service', 'price', 'other'] as const;
export type FeedbackCategory = (typeof FEEDBACK_CATEGORIES)[number];

export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;
export type Sentiment = (typeof SENTIMENTS)[number];

export const CATEGORY_LABELS: Record<FeedbackCategory, string> = {
  product: '商品质量',
  logistics: '物流快递',
  service: '客服服务',
  price: '价格',
  other: '其他',
};

// Checked in this order: a text about a rude courier is about logistics before service.
const KEYWORDS: [FeedbackCategory, RegExp][] = [
  ['logistics', /物流|快递|发货|配送|送货|派送|签收|包装|破损|压坏|慢死|到货|运输|丢件|漏发|错发/],
  ['price', /价格|太贵|贵了|降价|差价|便宜|性价比|优惠|保价|退差/],
  ['service', /客服|态度|服务|回复|不理|售后|退款|退货|换货|处理/],
  [
    'product',
    /质量|做工|尺码|尺寸|大小|颜色|色差|味道|气味|过敏|假货|材质|起球|掉色|效果|不好用|坏了|瑕疵|线头|偏大|偏小/,
  ],
];

/** The complaint category a free text is about (other when no known word appears). */
export function categorize(text: string | null | undefined): FeedbackCategory {
  const t = (text ?? '').trim();
  if (!t) return 'other';
  for (const [category, re] of KEYWORDS) if (re.test(t)) return category;
  return 'other';
}

/** A marketplace rating's sentiment: 好评 positive, 中评 neutral, 差评 negative. */
export function sentimentOfRating(rating: 'good' | 'neutral' | 'bad'): Sentiment {
  return rating === 'good' ? 'positive' : rating === 'bad' ? 'negative' : 'neutral';
}

/** A 1–5 satisfaction score's sentiment: 1–2 negative, 3 neutral, 4–5 positive. */
export function sentimentOfScore(score: number): Sentiment {
  return score <= 2 ? 'negative' : score >= 4 ? 'positive' : 'neutral';
}

export interface CategoryCount {
  category: FeedbackCategory;
  count: number;
}

/** Categories by number of complaints, most first; ties in the fixed category order; empty ones left out. */
export function rankComplaints(rows: readonly { category: string; count: number }[]): CategoryCount[] {
  const counts = new Map<FeedbackCategory, number>();
  for (const r of rows) {
    const c = (FEEDBACK_CATEGORIES as readonly string[]).includes(r.category)
      ? (r.category as FeedbackCategory)
      : 'other';
    counts.set(c, (counts.get(c) ?? 0) + Number(r.count));
  }
  return FEEDBACK_CATEGORIES.map((category) => ({ category, count: counts.get(category) ?? 0 }))
    .filter((c) => c.count > 0)
    .sort(
      (a, b) => b.count - a.count || FEEDBACK_CATEGORIES.indexOf(a.category) - FEEDBACK_CATEGORIES.indexOf(b.category),
    );
}
