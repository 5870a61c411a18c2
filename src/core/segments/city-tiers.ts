/**
 * City tiers as 第一财经·新一线城市研究所 publishes them (the 2024 list). Update yearly; a city not
 * listed is 三线及以下.
 */
export const CITY_TIER_LIST: Record<'一线' | '新一线' | '二线', readonly string[]> = {
  一线: ['上海', '北京', '深圳', '广州'],
  新一线: [
    '成都',
    '杭州',
    '重庆',
    '武汉',
    '苏州',
    '西安',
    '南京',
    '长沙',
    '天津',
    '郑州',
    '东莞',
    '无锡',
    '宁波',
    '青岛',
    '合肥',
  ],
  二线: [
    '佛山',
    '沈阳',
    '昆明',
    '济南',
    '厦门',
    '福州',
    '温州',
    '哈尔滨',
    '石家庄',
    '大连',
    '南宁',
    '泉州',
    '金华',
    '贵阳',
    '常州',
    '长春',
    '南昌',
    '南通',
    '嘉兴',
    '徐州',
    '惠州',
    '太原',
    '台州',
    '绍兴',
    '保定',
    '中山',
    '潍坊',
    '临沂',
    '珠海',
    '烟台',
  ],
};

/** City names as stored (with 市), by tier. */
export function citiesOfTier(tier: '一线' | '新一线' | '二线'): string[] {
  return CITY_TIER_LIST[tier].map((c) => `${c}市`);
}

export function cityTier(city: string | null | undefined): '一线' | '新一线' | '二线' | '三线及以下' | null {
  if (!city) return null;
  const short = city.replace(/市$/, '');
  for (const tier of ['一线', '新一线', '二线'] as const) if (CITY_TIER_LIST[tier].includes(short)) return tier;
  return '三线及以下';
}
