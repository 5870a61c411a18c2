import { Select } from 'antd';
import type { TFunction } from 'i18next';
import { useMemo } from 'react';
import { useTranslation } from 'react-i18next';

/** The zones a Chinese seller's shops are usually in, named in the user's language; every other IANA zone follows. */
export const COMMON_ZONES = [
  'Asia/Shanghai',
  'Asia/Hong_Kong',
  'Asia/Macau',
  'Asia/Taipei',
  'Asia/Tokyo',
  'Asia/Seoul',
  'Asia/Singapore',
  'Asia/Kuala_Lumpur',
  'Asia/Bangkok',
  'Asia/Ho_Chi_Minh',
  'Asia/Jakarta',
  'Asia/Manila',
  'Asia/Kolkata',
  'Asia/Dubai',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'Europe/Moscow',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'America/Toronto',
  'America/Sao_Paulo',
  'Australia/Sydney',
  'Pacific/Auckland',
  'UTC',
] as const;

/** A zone as the seller reads it: the common ones by name ("中国标准时间（北京、上海）"), the others by their IANA id. */
export function zoneName(t: TFunction, zone: string): string {
  return (COMMON_ZONES as readonly string[]).includes(zone) ? t(`timeZones.names.${zone}`) : zone;
}

/** "UTC+8", "UTC−5" … now (a zone with daylight saving shows today's offset). */
function offsetOf(zone: string): string {
  try {
    const part = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'shortOffset' })
      .formatToParts(new Date())
      .find((p) => p.type === 'timeZoneName')?.value;
    return (part ?? 'GMT').replace('GMT', 'UTC').replace(/^UTC$/, 'UTC±0');
  } catch {
    return '';
  }
}

function allZones(): string[] {
  try {
    return Intl.supportedValuesOf('timeZone');
  } catch {
    return [];
  }
}

/** A searchable pick-list of IANA time zones: the common ones first with their names, then all the others. */
export function TimeZoneSelect(props: {
  value?: string;
  onChange?: (v: string) => void;
  disabled?: boolean;
  testId?: string;
  width?: number;
}) {
  const { t } = useTranslation();
  const options = useMemo(() => {
    const common = new Set<string>(COMMON_ZONES);
    const label = (zone: string) => {
      return `${zoneName(t, zone)} · ${offsetOf(zone)}`;
    };
    const others = allZones().filter((z) => !common.has(z));
    // A zone saved before (or typed in the API) that the list does not know still shows as itself.
    if (props.value && !common.has(props.value) && !others.includes(props.value)) others.unshift(props.value);
    return [
      {
        label: t('timeZones.common'),
        options: COMMON_ZONES.map((z) => ({ value: z, label: label(z), search: `${label(z)} ${z}` })),
      },
      { label: t('timeZones.others'), options: others.map((z) => ({ value: z, label: label(z), search: z })) },
    ];
  }, [t, props.value]);
  return (
    <Select
      showSearch
      value={props.value}
      onChange={props.onChange}
      disabled={props.disabled}
      options={options}
      optionFilterProp="search"
      style={{ width: props.width ?? 320 }}
      data-testid={props.testId}
      popupMatchSelectWidth={false}
    />
  );
}
